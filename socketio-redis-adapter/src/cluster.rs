//! What the streams and sharded adapters share: the `ClusterAdapter` of
//! socket.io-adapter 2.5. Its messages (`{type, data, uid, nsp}`), the state
//! of one namespace's adapter ([`Core`]), and, given how an adapter sends
//! ([`Cluster`]), what it does with the messages of the other servers
//! (`incoming`) and how it asks them (`requests`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use socketio_adapter::{
    AckSender, Adapter, BroadcastOptions, Error, InMemoryAdapter, LocalSockets, SocketDetails,
};
use socketio_parser::{encode_msgpack, Packet, Value};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::lock;
use crate::message::{as_u64, decode_any, object};

mod incoming;
pub(crate) mod requests;

pub(crate) use incoming::on_message;

/// The `type` of a cluster message (`MessageType` of socket.io-adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageType {
    /// Sent by the heartbeat family only (streams 0.2), never by 0.3.
    InitialHeartbeat = 1,
    /// As `InitialHeartbeat`.
    Heartbeat = 2,
    /// A broadcast; with a `requestId`, one whose clients answer.
    Broadcast = 3,
    /// Sockets join rooms.
    SocketsJoin = 4,
    /// Sockets leave rooms.
    SocketsLeave = 5,
    /// Sockets are disconnected.
    DisconnectSockets = 6,
    /// The details of the sockets selected.
    FetchSockets = 7,
    /// A server's answer to `FetchSockets`.
    FetchSocketsResponse = 8,
    /// An event for the other servers' own handlers.
    ServerSideEmit = 9,
    /// A server's answer to an acked `ServerSideEmit`.
    ServerSideEmitResponse = 10,
    /// How many clients a server sent an acked broadcast to.
    BroadcastClientCount = 11,
    /// One client's answer to an acked broadcast.
    BroadcastAck = 12,
    /// Sent by the heartbeat family only, when a server leaves.
    AdapterClose = 13,
}

impl MessageType {
    pub(crate) fn from_u64(n: u64) -> Option<Self> {
        Some(match n {
            1 => Self::InitialHeartbeat,
            2 => Self::Heartbeat,
            3 => Self::Broadcast,
            4 => Self::SocketsJoin,
            5 => Self::SocketsLeave,
            6 => Self::DisconnectSockets,
            7 => Self::FetchSockets,
            8 => Self::FetchSocketsResponse,
            9 => Self::ServerSideEmit,
            10 => Self::ServerSideEmitResponse,
            11 => Self::BroadcastClientCount,
            12 => Self::BroadcastAck,
            13 => Self::AdapterClose,
            _ => return None,
        })
    }

    /// The types whose `data` Node checks for binary before it picks JSON.
    pub(crate) fn may_contain_binary(self) -> bool {
        matches!(
            self,
            Self::Broadcast
                | Self::FetchSocketsResponse
                | Self::ServerSideEmit
                | Self::ServerSideEmitResponse
                | Self::BroadcastAck
        )
    }
}

/// A message between the servers of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterMessage {
    pub(crate) kind: MessageType,
    /// The sending server (16 hex characters; `emitter` for an emitter).
    pub(crate) uid: String,
    pub(crate) nsp: String,
    /// The fields of the message, in Node's order; none for heartbeats.
    pub(crate) data: Option<Value>,
}

impl ClusterMessage {
    /// The field `name` of `data`.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref()?.get(name)
    }

    /// The whole envelope `{type, data, uid, nsp}` in msgpack, as 0.3
    /// publishes it over PUB/SUB.
    pub(crate) fn encode_envelope(&self) -> Vec<u8> {
        let mut fields = vec![("type".to_owned(), Value::from(self.kind as u64))];
        if let Some(data) = &self.data {
            fields.push(("data".to_owned(), data.clone()));
        }
        fields.push(("uid".to_owned(), Value::from(self.uid.as_str())));
        fields.push(("nsp".to_owned(), Value::from(self.nsp.as_str())));
        encode_msgpack(&Value::Object(fields))
    }

    /// The whole envelope in JSON, or in msgpack when its type may and its
    /// data does hold binary, as the sharded adapter publishes it.
    pub(crate) fn encode_json_or_msgpack(&self) -> Vec<u8> {
        match &self.data {
            Some(data) if self.kind.may_contain_binary() && data.has_binary() => {
                self.encode_envelope()
            }
            _ => {
                let mut fields = vec![("type".to_owned(), Value::from(self.kind as u64))];
                if let Some(data) = &self.data {
                    fields.push(("data".to_owned(), data.clone()));
                }
                fields.push(("uid".to_owned(), Value::from(self.uid.as_str())));
                fields.push(("nsp".to_owned(), Value::from(self.nsp.as_str())));
                // Without binary, a Value always has a JSON text.
                serde_json::to_vec(&Value::Object(fields)).unwrap_or_default()
            }
        }
    }

    /// A message received over PUB/SUB: JSON when it starts with `{`,
    /// msgpack otherwise, as Node tells them apart.
    pub(crate) fn decode_envelope(bytes: Bytes) -> Result<Self, Error> {
        let value = decode_any(bytes)?;
        let kind = value
            .get("type")
            .and_then(as_u64)
            .and_then(MessageType::from_u64)
            .ok_or_else(|| Error::Malformed("unknown message type".into()))?;
        Ok(Self {
            kind,
            uid: text(value.get("uid")),
            nsp: text(value.get("nsp")),
            data: value.get("data").cloned(),
        })
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// socket.io's packet as cluster messages carry it: `{type: 2, data}`,
/// without `nsp` and with binary inline.
pub(crate) fn encode_packet(packet: &Packet) -> Value {
    let data = match packet {
        Packet::Event { data, .. } | Packet::BinaryEvent { data, .. } => data.clone(),
        _ => Vec::new(),
    };
    object([("type", Value::from(2u64)), ("data", Value::Array(data))])
}

/// The event a cluster message's packet holds, for namespace `nsp`.
pub(crate) fn decode_packet(value: Option<&Value>, nsp: &str) -> Result<Packet, Error> {
    match value.and_then(|p| p.get("data")) {
        Some(Value::Array(data)) => match data.split_first() {
            Some((Value::String(event), args)) => {
                Ok(Packet::event(nsp.to_owned(), event, args.to_vec(), None))
            }
            _ => Err(Error::Malformed("no event name in the packet".into())),
        },
        _ => Err(Error::Malformed("no event in the packet".into())),
    }
}

/// 16 random hex characters, as `randomBytes(8).toString("hex")` makes the
/// uid of a server and the id of a request.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        bytes = NEXT
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request of ours that waits for the other servers' answers.
pub(crate) enum Pending {
    Fetch(mpsc::UnboundedSender<Vec<SocketDetails>>),
    ServerSideEmit(AckSender),
    BroadcastAck {
        acks: AckSender,
        counted: mpsc::UnboundedSender<()>,
    },
}

/// The state of one namespace's cluster adapter: its sockets (in memory),
/// who it is, the requests it waits answers for, and its tasks.
pub(crate) struct Core {
    pub(crate) local: InMemoryAdapter,
    pub(crate) nsp: String,
    pub(crate) uid: String,
    pub(crate) requests_timeout: Duration,
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    tasks: Mutex<JoinSet<()>>,
}

impl Core {
    pub(crate) fn new(
        sockets: std::sync::Weak<dyn LocalSockets>,
        requests_timeout: Duration,
    ) -> Self {
        let nsp = sockets
            .upgrade()
            .map(|s| s.namespace().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Self {
            local: InMemoryAdapter::new(sockets),
            nsp,
            uid: random_hex(),
            requests_timeout,
            pending: Arc::new(Mutex::new(HashMap::new())),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Runs `task` until it ends or the adapter closes.
    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Stops every task of the adapter.
    pub(crate) fn abort(&self) {
        lock(&self.tasks).abort_all();
    }

    /// A message of ours.
    pub(crate) fn message(&self, kind: MessageType, data: Value) -> ClusterMessage {
        ClusterMessage {
            kind,
            uid: self.uid.clone(),
            nsp: self.nsp.clone(),
            data: Some(data),
        }
    }

    /// Keeps `pending` for the answers to request `request_id`, for `ttl`.
    pub(crate) fn expect_answers(&self, request_id: &str, pending: Pending, ttl: Duration) {
        lock(&self.pending).insert(request_id.to_owned(), pending);
        let table = Arc::downgrade(&self.pending);
        let id = request_id.to_owned();
        self.spawn(async move {
            tokio::time::sleep(ttl).await;
            if let Some(table) = table.upgrade() {
                lock(&table).remove(&id);
            }
        });
    }

    /// Stops waiting for answers to `request_id`.
    pub(crate) fn forget(&self, request_id: &str) {
        lock(&self.pending).remove(request_id);
    }

    /// Delivers a broadcast to this server's sockets only.
    pub(crate) fn deliver_here(&self, packet: Packet, mut opts: BroadcastOptions) {
        opts.flags.local = true;
        let _ = self.local.broadcast(packet, opts);
    }
}

/// How an adapter of the `ClusterAdapter` family reaches the other servers.
#[async_trait]
pub(crate) trait Cluster: Send + Sync + 'static {
    /// The namespace's state.
    fn core(&self) -> &Core;
    /// Sends `message` to the other servers, after what was sent before.
    fn publish(&self, message: ClusterMessage);
    /// Sends `message` and waits until Redis has it (or failed).
    async fn publish_and_wait(&self, message: ClusterMessage);
    /// Sends `message`, an answer, to server `requester` alone.
    fn respond(&self, requester: &str, message: ClusterMessage);
    /// How many servers share the namespace, this one included.
    async fn server_count(&self) -> Result<usize, Error>;
    /// A broadcast of another server, to deliver here; `offset` is its
    /// place in the stream, if it came from one.
    fn on_broadcast(&self, packet: Packet, opts: BroadcastOptions, offset: Option<&str>) {
        let _ = offset;
        self.core().deliver_here(packet, opts);
    }
}

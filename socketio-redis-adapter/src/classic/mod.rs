//! The classic adapter (`createAdapter` of `@socket.io/redis-adapter`
//! 8.x): broadcasts over `PUBLISH`/`PSUBSCRIBE`, requests and responses on
//! one request and one response channel per namespace, servers counted with
//! `PUBSUB NUMSUB`.
//!
//! Membership stays local, in an [`InMemoryAdapter`]: a broadcast is
//! delivered to this server's sockets at once and published for the others;
//! what arrives from the others is delivered to this server's sockets only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use socketio_adapter::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, InMemoryAdapter, LocalSockets,
    PersistedSession, RestoredSession, Room, RoomListener, SocketDetails, SocketId,
};
use socketio_parser::{encode_msgpack, Packet, Value};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::message::{self, object, request, RequestType};
use crate::{broker, lock, random_id, RedisAdapterConfig};

mod incoming;
mod link;

/// A message to publish: its channel and payload.
type Publication = (String, Vec<u8>);

/// The channels of one namespace.
#[derive(Debug)]
struct Channels {
    /// `key#nsp#`; a broadcast to one room goes to `key#nsp#room#`.
    broadcast: String,
    request: String,
    response: String,
    /// `key-response#nsp#uid#`: answers for this server alone.
    own_response: String,
}

/// Who waits for answers to a request of ours.
enum Pending {
    /// Every server answers once; the answers go to the sender.
    Collect(mpsc::UnboundedSender<Value>),
    ServerSideEmit(AckSender),
    /// The answers go to `acks`; each server's client count is also
    /// signalled on `counted`.
    BroadcastAck {
        acks: AckSender,
        counted: mpsc::UnboundedSender<()>,
    },
}

struct Shared {
    local: InMemoryAdapter,
    nsp: String,
    uid: String,
    config: RedisAdapterConfig,
    client: redis::Client,
    channels: Channels,
    /// Publishes, in order, by the publisher task.
    outbox: mpsc::UnboundedSender<Publication>,
    outbox_rx: Mutex<Option<mpsc::UnboundedReceiver<Publication>>>,
    /// The connection for commands and publishes, once made.
    commands: Mutex<Option<redis::aio::ConnectionManager>>,
    pending: Mutex<HashMap<String, Pending>>,
    /// Every task of the adapter, stopped when it closes or is dropped.
    tasks: Mutex<JoinSet<()>>,
}

/// The classic Redis adapter of one namespace. See the crate's docs.
pub struct RedisAdapter(Arc<Shared>);

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("nsp", &self.0.nsp)
            .field("uid", &self.0.uid)
            .field("channels", &self.0.channels)
            .finish_non_exhaustive()
    }
}

impl RedisAdapter {
    /// The factory to give the server (`ServerBuilder::adapter`): each
    /// namespace gets its adapter, all on the Redis `client` points to.
    pub fn factory(client: redis::Client, config: RedisAdapterConfig) -> impl AdapterFactory {
        move |sockets: Weak<dyn LocalSockets>| {
            Arc::new(Self::new(client.clone(), config.clone(), sockets)) as Arc<dyn Adapter>
        }
    }

    fn new(
        client: redis::Client,
        config: RedisAdapterConfig,
        sockets: Weak<dyn LocalSockets>,
    ) -> Self {
        let nsp = sockets
            .upgrade()
            .map(|s| s.namespace().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let uid = random_id(6);
        let key = &config.key;
        let channels = Channels {
            broadcast: format!("{key}#{nsp}#"),
            request: format!("{key}-request#{nsp}#"),
            response: format!("{key}-response#{nsp}#"),
            own_response: format!("{key}-response#{nsp}#{uid}#"),
        };
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        Self(Arc::new(Shared {
            local: InMemoryAdapter::new(sockets),
            nsp,
            uid,
            config,
            client,
            channels,
            outbox,
            outbox_rx: Mutex::new(Some(outbox_rx)),
            commands: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
        }))
    }
}

impl Drop for RedisAdapter {
    fn drop(&mut self) {
        lock(&self.0.tasks).abort_all();
    }
}

impl Shared {
    fn publish(&self, channel: String, payload: Vec<u8>) {
        // The publisher task gone means the adapter is closed.
        let _ = self.outbox.send((channel, payload));
    }

    /// Publishes a request of this server (JSON, as Node sends all but
    /// the acked broadcast), with `request_id` when answers are awaited.
    fn publish_request(
        &self,
        request_id: Option<&str>,
        kind: RequestType,
        rest: Vec<(&str, Value)>,
    ) {
        let body = request(&self.uid, request_id, kind, rest);
        self.publish(self.channels.request.clone(), message::json(&body));
    }

    /// Where answers to a request of `requester` go.
    fn response_channel(&self, requester: Option<&str>) -> String {
        match requester {
            Some(uid) if self.config.publish_on_specific_response_channel => {
                format!("{}{uid}#", self.channels.response)
            }
            _ => self.channels.response.clone(),
        }
    }

    async fn server_count(&self) -> Result<usize, Error> {
        let mut conn = self.commands()?;
        let reply: (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&self.channels.request)
            .query_async(&mut conn)
            .await
            .map_err(broker)?;
        Ok(reply.1)
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.tasks);
        // Reap the finished ones: each costs its own removal, once.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Registers a request of ours, forgotten after `ttl`.
    fn expect_answers(self: &Arc<Self>, request_id: &str, pending: Pending, ttl: Duration) {
        lock(&self.pending).insert(request_id.to_owned(), pending);
        let shared = Arc::downgrade(self);
        let id = request_id.to_owned();
        self.spawn(async move {
            tokio::time::sleep(ttl).await;
            if let Some(shared) = shared.upgrade() {
                lock(&shared.pending).remove(&id);
            }
        });
    }

    /// Asks every other server (`kind`, with `rest`) and gathers one answer
    /// from each, failing if some do not answer within the requests'
    /// timeout (Node's count: the subscribers of the request channel).
    async fn ask_all(
        self: &Arc<Self>,
        kind: RequestType,
        rest: Vec<(&str, Value)>,
    ) -> Result<Vec<Value>, Error> {
        let others = self.server_count().await?.saturating_sub(1);
        if others == 0 {
            return Ok(Vec::new());
        }
        let request_id = random_id(6);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let timeout = self.config.requests_timeout;
        self.expect_answers(&request_id, Pending::Collect(tx), timeout);
        self.publish_request(Some(&request_id), kind, rest);
        let mut answers = Vec::with_capacity(others);
        let _ = tokio::time::timeout(timeout, async {
            while answers.len() < others {
                match rx.recv().await {
                    Some(answer) => answers.push(answer),
                    None => break,
                }
            }
        })
        .await;
        self.forget(&request_id);
        if answers.len() < others {
            return Err(Error::Timeout {
                answered: answers.len(),
                expected: others,
            });
        }
        Ok(answers)
    }

    fn forget(&self, request_id: &str) {
        lock(&self.pending).remove(request_id);
    }
}

/// `{rooms, except}`: the options of requests other than broadcasts, as
/// Node sends them (no flags).
fn request_options(opts: &BroadcastOptions) -> Value {
    let Value::Object(mut fields) = message::encode_options(opts) else {
        return Value::Null;
    };
    fields.truncate(2);
    Value::Object(fields)
}

fn room_values(rooms: &[Room]) -> Value {
    Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())
}

#[async_trait]
impl Adapter for RedisAdapter {
    async fn init(&self) -> Result<(), Error> {
        self.0.start().await?;
        tracing::debug!(nsp = %self.0.nsp, uid = %self.0.uid, "redis adapter started");
        Ok(())
    }

    async fn close(&self) -> Result<(), Error> {
        lock(&self.0.tasks).abort_all();
        self.0.local.close().await
    }

    fn add_all(&self, id: &SocketId, rooms: &[Room]) {
        self.0.local.add_all(id, rooms);
    }

    fn del(&self, id: &SocketId, room: &Room) {
        self.0.local.del(id, room);
    }

    fn del_all(&self, id: &SocketId) {
        self.0.local.del_all(id);
    }

    fn socket_rooms(&self, id: &SocketId) -> std::collections::HashSet<Room> {
        self.0.local.socket_rooms(id)
    }

    fn sockets(
        &self,
        rooms: &std::collections::HashSet<Room>,
    ) -> std::collections::HashSet<SocketId> {
        self.0.local.sockets(rooms)
    }

    fn rooms(&self) -> std::collections::HashSet<Room> {
        self.0.local.rooms()
    }

    fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            // One room: its own channel, which only servers with members
            // read past the name.
            let channel = match (opts.rooms.len(), opts.rooms.iter().next()) {
                (1, Some(room)) => format!("{}{}#", shared.channels.broadcast, room.as_str()),
                _ => shared.channels.broadcast.clone(),
            };
            shared.publish(
                channel,
                message::encode_broadcast(&shared.uid, &packet, &opts),
            );
        }
        shared.local.broadcast(packet, opts)
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        acks: AckSender,
    ) -> Result<(), Error> {
        let shared = &self.0;
        if opts.flags.local {
            return shared.local.broadcast_with_ack(packet, opts, acks).await;
        }
        let others = shared.server_count().await?.saturating_sub(1);
        let request_id = random_id(6);
        let timeout = opts.flags.timeout.unwrap_or(shared.config.requests_timeout);
        let (counted, mut counts) = mpsc::unbounded_channel();
        if others > 0 {
            shared.expect_answers(
                &request_id,
                Pending::BroadcastAck {
                    acks: acks.clone(),
                    counted,
                },
                timeout,
            );
            let body = request(
                &shared.uid,
                Some(&request_id),
                RequestType::Broadcast,
                vec![
                    (
                        "packet",
                        object([
                            ("type", Value::from(2u64)),
                            (
                                "data",
                                Value::Array(match &packet {
                                    Packet::Event { data, .. }
                                    | Packet::BinaryEvent { data, .. } => data.clone(),
                                    _ => Vec::new(),
                                }),
                            ),
                            ("nsp", Value::from(shared.nsp.as_str())),
                        ]),
                    ),
                    ("opts", message::encode_options(&opts)),
                ],
            );
            shared.publish(shared.channels.request.clone(), encode_msgpack(&body));
        }
        shared.local.broadcast_with_ack(packet, opts, acks).await?;
        // Every server's count must be known before the caller can tell
        // when all answers are in.
        let mut answered = 0;
        let counted = tokio::time::timeout(timeout, async {
            while answered < others && counts.recv().await.is_some() {
                answered += 1;
            }
        })
        .await;
        match counted {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::Timeout {
                answered,
                expected: others,
            }),
        }
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error> {
        let shared = &self.0;
        let mut sockets = shared.local.fetch_sockets(opts.clone()).await?;
        if opts.flags.local {
            return Ok(sockets);
        }
        let answers = shared
            .ask_all(
                RequestType::RemoteFetch,
                vec![("opts", request_options(&opts))],
            )
            .await?;
        for answer in answers {
            if let Some(Value::Array(items)) = answer.get("sockets") {
                sockets.extend(items.iter().filter_map(message::decode_socket));
            }
        }
        Ok(sockets)
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared.publish_request(
                None,
                RequestType::RemoteJoin,
                vec![
                    ("opts", request_options(&opts)),
                    ("rooms", room_values(&rooms)),
                ],
            );
        }
        shared.local.add_sockets(opts, rooms).await
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared.publish_request(
                None,
                RequestType::RemoteLeave,
                vec![
                    ("opts", request_options(&opts)),
                    ("rooms", room_values(&rooms)),
                ],
            );
        }
        shared.local.del_sockets(opts, rooms).await
    }

    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared.publish_request(
                None,
                RequestType::RemoteDisconnect,
                vec![
                    ("opts", request_options(&opts)),
                    ("close", Value::Bool(close)),
                ],
            );
        }
        shared.local.disconnect_sockets(opts, close).await
    }

    async fn server_side_emit(
        &self,
        args: Vec<Value>,
        acks: Option<AckSender>,
    ) -> Result<(), Error> {
        let shared = &self.0;
        let Some(acks) = acks else {
            shared.publish_request(
                None,
                RequestType::ServerSideEmit,
                vec![("data", Value::Array(args))],
            );
            return Ok(());
        };
        let others = shared.server_count().await?.saturating_sub(1);
        acks.expect(others);
        if others == 0 {
            return Ok(());
        }
        let request_id = random_id(6);
        shared.expect_answers(
            &request_id,
            Pending::ServerSideEmit(acks),
            shared.config.requests_timeout,
        );
        shared.publish_request(
            Some(&request_id),
            RequestType::ServerSideEmit,
            vec![("data", Value::Array(args))],
        );
        Ok(())
    }

    async fn server_count(&self) -> Result<usize, Error> {
        self.0.server_count().await
    }

    async fn persist_session(&self, _session: PersistedSession) -> Result<(), Error> {
        // The classic adapter keeps no sessions (no connection state
        // recovery across the cluster, as in Node).
        Ok(())
    }

    async fn restore_session(
        &self,
        _pid: &str,
        _offset: &str,
    ) -> Result<Option<RestoredSession>, Error> {
        Ok(None)
    }

    fn on_room_event(&self, listener: RoomListener) {
        self.0.local.on_room_event(listener);
    }

    async fn all_rooms(&self) -> Result<std::collections::HashSet<Room>, Error> {
        let shared = &self.0;
        let mut rooms = shared.local.rooms();
        for answer in shared.ask_all(RequestType::AllRooms, vec![]).await? {
            if let Some(Value::Array(items)) = answer.get("rooms") {
                rooms.extend(items.iter().filter_map(Value::as_str).map(Room::from));
            }
        }
        Ok(rooms)
    }
}

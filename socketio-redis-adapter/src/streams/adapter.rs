//! The streams adapter over Redis (`createAdapter` of
//! `@socket.io/redis-streams-adapter` 0.3): what must outlive a server's
//! absence (broadcasts, joins, leaves, disconnects) is added to a stream
//! that every server reads with a blocking XREAD; requests and answers go
//! over PUB/SUB; sessions for connection state recovery are kept in Redis,
//! so a client may come back on any server of the cluster.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use socketio_adapter::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, InMemoryAdapter, LocalSockets,
    PersistedSession, RestoredSession, Room, RoomListener, SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::link::Hub;
use super::{
    encode_packet, encode_session, stream_name, ClusterMessage, MessageType,
    RedisStreamsAdapterConfig,
};
use crate::message::{encode_options, object};

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn broker(e: redis::RedisError) -> Error {
    Error::Broker(e.to_string())
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        bytes = NEXT
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the publisher does, in order.
pub(super) enum Outgoing {
    /// XADD a message; with `deliver`, then deliver the packet here with
    /// the entry's offset; with `done`, tell when it is in.
    Append {
        message: ClusterMessage,
        deliver: Option<Box<(Packet, BroadcastOptions)>>,
        done: Option<oneshot::Sender<()>>,
    },
    Publish {
        channel: String,
        payload: Vec<u8>,
    },
    Session {
        key: String,
        value: String,
        ttl: Duration,
    },
    /// Everything queued before it is done.
    Flush(oneshot::Sender<()>),
}

pub(super) enum Pending {
    Fetch(mpsc::UnboundedSender<Vec<SocketDetails>>),
    ServerSideEmit(AckSender),
    BroadcastAck {
        acks: AckSender,
        counted: mpsc::UnboundedSender<()>,
    },
}

pub(super) struct Shared {
    pub(super) hub: Arc<Hub>,
    pub(super) local: InMemoryAdapter,
    pub(super) nsp: String,
    pub(super) uid: String,
    pub(super) stream: String,
    pub(super) public: String,
    pub(super) private: String,
    pub(super) outbox: mpsc::UnboundedSender<Outgoing>,
    pub(super) outbox_rx: Mutex<Option<mpsc::UnboundedReceiver<Outgoing>>>,
    pub(super) pending: Mutex<HashMap<String, Pending>>,
    pub(super) tasks: Mutex<JoinSet<()>>,
}

/// The streams adapter of one namespace. See the crate's docs.
pub struct RedisStreamsAdapter(Arc<Shared>);

impl std::fmt::Debug for RedisStreamsAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamsAdapter")
            .field("nsp", &self.0.nsp)
            .field("uid", &self.0.uid)
            .field("stream", &self.0.stream)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStreamsAdapter {
    fn drop(&mut self) {
        lock(&self.0.tasks).abort_all();
    }
}

impl RedisStreamsAdapter {
    /// The factory to give the server (`ServerBuilder::adapter`): each
    /// namespace gets its adapter; they share the connection for commands
    /// and the stream readers.
    pub fn factory(
        client: redis::Client,
        config: RedisStreamsAdapterConfig,
    ) -> impl AdapterFactory {
        let hub = Arc::new(Hub {
            client,
            config,
            commands: tokio::sync::Mutex::new(None),
            adapters: Mutex::new(HashMap::new()),
            readers: Mutex::new(None),
        });
        move |sockets: Weak<dyn LocalSockets>| {
            Arc::new(Self::new(hub.clone(), sockets)) as Arc<dyn Adapter>
        }
    }

    fn new(hub: Arc<Hub>, sockets: Weak<dyn LocalSockets>) -> Self {
        let nsp = sockets
            .upgrade()
            .map(|s| s.namespace().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let uid = random_hex();
        let c = &hub.config;
        let stream = stream_name(&c.stream_name, c.stream_count, &nsp);
        let public = format!("{}#{nsp}#", c.channel_prefix);
        let private = format!("{public}{uid}#");
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        Self(Arc::new(Shared {
            hub,
            local: InMemoryAdapter::new(sockets),
            nsp,
            uid,
            stream,
            public,
            private,
            outbox,
            outbox_rx: Mutex::new(Some(outbox_rx)),
            pending: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
        }))
    }
}

impl Shared {
    pub(super) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    pub(super) fn recovery(&self) -> Option<Duration> {
        self.local.local().and_then(|s| s.recovery())
    }

    pub(super) fn message(&self, kind: MessageType, data: Value) -> ClusterMessage {
        ClusterMessage {
            kind,
            uid: self.uid.clone(),
            nsp: self.nsp.clone(),
            data: Some(data),
        }
    }

    pub(super) fn send(&self, out: Outgoing) {
        let _ = self.outbox.send(out);
    }

    /// Sends a message as Node does: an ephemeral one over PUB/SUB on the
    /// namespace's public channel, any other into the stream.
    pub(super) fn publish(&self, message: ClusterMessage) {
        if message.is_ephemeral() {
            self.send(Outgoing::Publish {
                channel: self.public.clone(),
                payload: message.encode_envelope(),
            });
        } else {
            self.send(Outgoing::Append {
                message,
                deliver: None,
                done: None,
            });
        }
    }

    /// Answers a request of server `requester` on its private channel.
    pub(super) fn respond(&self, requester: &str, kind: MessageType, data: Value) {
        let channel = format!("{}{requester}#", self.public);
        let payload = self.message(kind, data).encode_envelope();
        self.send(Outgoing::Publish { channel, payload });
    }

    /// Adds a message to the stream and waits until it is in (or failed).
    pub(super) async fn append(&self, message: ClusterMessage) {
        let (done, added) = oneshot::channel();
        self.send(Outgoing::Append {
            message,
            deliver: None,
            done: Some(done),
        });
        let _ = added.await;
    }

    pub(super) async fn server_count(&self) -> Result<usize, Error> {
        let mut conn = self.hub.commands().await?;
        let reply: (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&self.public)
            .query_async(&mut conn)
            .await
            .map_err(broker)?;
        Ok(reply.1)
    }

    pub(super) fn expect_answers(
        self: &Arc<Self>,
        request_id: &str,
        pending: Pending,
        ttl: Duration,
    ) {
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

    /// Gives a broadcast its offset, when recovery is on and the packet is
    /// one that is replayed (an event without ack id, not volatile).
    pub(super) fn add_offset(&self, packet: &mut Packet, opts: &BroadcastOptions, offset: &str) {
        if self.recovery().is_none() || opts.flags.volatile {
            return;
        }
        if let Packet::Event { data, id: None, .. } | Packet::BinaryEvent { data, id: None, .. } =
            packet
        {
            data.push(Value::from(offset));
        }
    }

    pub(super) fn deliver_here(&self, packet: Packet, mut opts: BroadcastOptions) {
        opts.flags.local = true;
        let _ = self.local.broadcast(packet, opts);
    }
}

fn room_values(rooms: &[Room]) -> Value {
    Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())
}

#[async_trait]
impl Adapter for RedisStreamsAdapter {
    async fn init(&self) -> Result<(), Error> {
        self.0.start().await
    }

    async fn close(&self) -> Result<(), Error> {
        // What was queued before the close (the sessions of the sockets the
        // server just disconnected, say) reaches Redis first.
        let (flushed, done) = oneshot::channel();
        self.0.send(Outgoing::Flush(flushed));
        let _ = tokio::time::timeout(self.0.hub.config.requests_timeout, done).await;
        lock(&self.0.hub.adapters).remove(&self.0.nsp);
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

    fn socket_rooms(&self, id: &SocketId) -> HashSet<Room> {
        self.0.local.socket_rooms(id)
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> HashSet<SocketId> {
        self.0.local.sockets(rooms)
    }

    fn rooms(&self) -> HashSet<Room> {
        self.0.local.rooms()
    }

    fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), Error> {
        let shared = &self.0;
        if opts.flags.local {
            return shared.local.broadcast(packet, opts);
        }
        let message = shared.message(
            MessageType::Broadcast,
            object([
                ("packet", encode_packet(&packet)),
                ("opts", encode_options(&opts)),
            ]),
        );
        if shared.recovery().is_some() {
            // Delivered here once the stream gave it its offset, in order.
            shared.send(Outgoing::Append {
                message,
                deliver: Some(Box::new((packet, opts))),
                done: None,
            });
            return Ok(());
        }
        shared.publish(message);
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
        let timeout = opts
            .flags
            .timeout
            .unwrap_or(shared.hub.config.requests_timeout);
        let (counted, mut counts) = mpsc::unbounded_channel();
        if others > 0 {
            let request_id = random_hex();
            shared.expect_answers(
                &request_id,
                Pending::BroadcastAck {
                    acks: acks.clone(),
                    counted,
                },
                timeout,
            );
            shared.publish(shared.message(
                MessageType::Broadcast,
                object([
                    ("packet", encode_packet(&packet)),
                    ("requestId", Value::from(request_id.as_str())),
                    ("opts", encode_options(&opts)),
                ]),
            ));
        }
        shared.local.broadcast_with_ack(packet, opts, acks).await?;
        let mut answered = 0;
        let all = tokio::time::timeout(timeout, async {
            while answered < others && counts.recv().await.is_some() {
                answered += 1;
            }
        })
        .await;
        all.map_err(|_| Error::Timeout {
            answered,
            expected: others,
        })
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error> {
        let shared = &self.0;
        let mut sockets = shared.local.fetch_sockets(opts.clone()).await?;
        if opts.flags.local {
            return Ok(sockets);
        }
        let others = shared.server_count().await?.saturating_sub(1);
        if others == 0 {
            return Ok(sockets);
        }
        let request_id = random_hex();
        let timeout = opts
            .flags
            .timeout
            .unwrap_or(shared.hub.config.requests_timeout);
        let (tx, mut rx) = mpsc::unbounded_channel();
        shared.expect_answers(&request_id, Pending::Fetch(tx), timeout);
        shared.publish(shared.message(
            MessageType::FetchSockets,
            object([
                ("opts", encode_options(&opts)),
                ("requestId", Value::from(request_id.as_str())),
            ]),
        ));
        let mut answered = 0;
        let _ = tokio::time::timeout(timeout, async {
            while answered < others {
                match rx.recv().await {
                    Some(more) => {
                        sockets.extend(more);
                        answered += 1;
                    }
                    None => break,
                }
            }
        })
        .await;
        lock(&shared.pending).remove(&request_id);
        if answered < others {
            return Err(Error::Timeout {
                answered,
                expected: others,
            });
        }
        Ok(sockets)
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared
                .append(shared.message(
                    MessageType::SocketsJoin,
                    object([
                        ("opts", encode_options(&opts)),
                        ("rooms", room_values(&rooms)),
                    ]),
                ))
                .await;
        }
        shared.local.add_sockets(opts, rooms).await
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared
                .append(shared.message(
                    MessageType::SocketsLeave,
                    object([
                        ("opts", encode_options(&opts)),
                        ("rooms", room_values(&rooms)),
                    ]),
                ))
                .await;
        }
        shared.local.del_sockets(opts, rooms).await
    }

    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error> {
        let shared = &self.0;
        if !opts.flags.local {
            shared
                .append(shared.message(
                    MessageType::DisconnectSockets,
                    object([
                        ("opts", encode_options(&opts)),
                        ("close", Value::Bool(close)),
                    ]),
                ))
                .await;
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
            shared.publish(shared.message(
                MessageType::ServerSideEmit,
                object([("packet", Value::Array(args))]),
            ));
            return Ok(());
        };
        let others = shared.server_count().await?.saturating_sub(1);
        acks.expect(others);
        if others == 0 {
            return Ok(());
        }
        let request_id = random_hex();
        shared.expect_answers(
            &request_id,
            Pending::ServerSideEmit(acks),
            shared.hub.config.requests_timeout,
        );
        shared.publish(shared.message(
            MessageType::ServerSideEmit,
            object([
                ("requestId", Value::from(request_id.as_str())),
                ("packet", Value::Array(args)),
            ]),
        ));
        Ok(())
    }

    async fn server_count(&self) -> Result<usize, Error> {
        self.0.server_count().await
    }

    async fn persist_session(&self, session: PersistedSession) -> Result<(), Error> {
        let shared = &self.0;
        let Some(ttl) = shared.recovery() else {
            return Ok(());
        };
        // Queued now, before whatever this server publishes next (a fetch
        // answer that no longer lists the socket, say), as Node orders it.
        shared.send(Outgoing::Session {
            key: format!("{}{}", shared.hub.config.session_key_prefix, session.pid),
            value: encode_session(&session),
            ttl,
        });
        Ok(())
    }

    async fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> Result<Option<RestoredSession>, Error> {
        self.0.restore(pid, offset).await
    }

    fn on_room_event(&self, listener: RoomListener) {
        self.0.local.on_room_event(listener);
    }
}

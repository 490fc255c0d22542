//! The streams adapter over Redis (`createAdapter` of
//! `@socket.io/redis-streams-adapter` 0.3): what must outlive a server's
//! absence (broadcasts, joins, leaves, disconnects) is added to a stream
//! that every server reads with a blocking XREAD; requests and answers go
//! over PUB/SUB; sessions for connection state recovery are kept in Redis,
//! so a client may come back on any server of the cluster.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use socketio_adapter::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, LocalSockets, PersistedSession,
    RestoredSession, Room, RoomListener, SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};
use tokio::sync::{mpsc, oneshot};

use super::link::Hub;
use super::{encode_session, stream_name, RedisStreamsAdapterConfig};
use crate::cluster::{encode_packet, requests, Cluster, ClusterMessage, Core, MessageType};
use crate::message::{encode_options, object};
use crate::sharded::link::Target;
use crate::sharded::subscriptions::Subscriptions;
use crate::{broker, lock};

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

pub(super) struct Shared {
    pub(super) hub: Arc<Hub>,
    pub(super) core: Core,
    pub(super) stream: String,
    pub(super) public: String,
    pub(super) private: String,
    pub(super) outbox: mpsc::UnboundedSender<Outgoing>,
    pub(super) outbox_rx: Mutex<Option<mpsc::UnboundedReceiver<Outgoing>>>,
}

/// The streams adapter of one namespace. See the crate's docs.
pub struct RedisStreamsAdapter(Arc<Shared>);

impl std::fmt::Debug for RedisStreamsAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamsAdapter")
            .field("nsp", &self.0.core.nsp)
            .field("uid", &self.0.core.uid)
            .field("stream", &self.0.stream)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStreamsAdapter {
    fn drop(&mut self) {
        self.0.core.abort();
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
        let sharded = config.use_sharded_pub_sub.then(|| {
            Arc::new(Subscriptions::new(
                Target::Single(client.clone()),
                config.requests_timeout,
            ))
        });
        let hub = Arc::new(Hub {
            client,
            sharded,
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
        let core = Core::new(sockets, hub.config.requests_timeout);
        let c = &hub.config;
        let stream = stream_name(&c.stream_name, c.stream_count, &core.nsp);
        let public = format!("{}#{}#", c.channel_prefix, core.nsp);
        let private = format!("{public}{}#", core.uid);
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        Self(Arc::new(Shared {
            hub,
            core,
            stream,
            public,
            private,
            outbox,
            outbox_rx: Mutex::new(Some(outbox_rx)),
        }))
    }
}

impl Shared {
    pub(super) fn recovery(&self) -> Option<Duration> {
        self.core.local.local().and_then(|s| s.recovery())
    }

    pub(super) fn send(&self, out: Outgoing) {
        let _ = self.outbox.send(out);
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
}

#[async_trait]
impl Cluster for Shared {
    fn core(&self) -> &Core {
        &self.core
    }

    /// As Node sends: an ephemeral message over PUB/SUB on the namespace's
    /// public channel, any other into the stream.
    fn publish(&self, message: ClusterMessage) {
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

    /// Adds a message to the stream and waits until it is in (or failed).
    async fn publish_and_wait(&self, message: ClusterMessage) {
        let (done, added) = oneshot::channel();
        self.send(Outgoing::Append {
            message,
            deliver: None,
            done: Some(done),
        });
        let _ = added.await;
    }

    /// On the requester's private channel.
    fn respond(&self, requester: &str, message: ClusterMessage) {
        let channel = format!("{}{requester}#", self.public);
        let payload = message.encode_envelope();
        self.send(Outgoing::Publish { channel, payload });
    }

    async fn server_count(&self) -> Result<usize, Error> {
        let mut conn = self.hub.commands().await?;
        let numsub = if self.hub.sharded.is_some() {
            "SHARDNUMSUB"
        } else {
            "NUMSUB"
        };
        let reply: (String, usize) = redis::cmd("PUBSUB")
            .arg(numsub)
            .arg(&self.public)
            .query_async(&mut conn)
            .await
            .map_err(broker)?;
        Ok(reply.1)
    }

    fn on_broadcast(&self, mut packet: Packet, opts: BroadcastOptions, offset: Option<&str>) {
        if let Some(offset) = offset {
            self.add_offset(&mut packet, &opts, offset);
        }
        self.core.deliver_here(packet, opts);
    }
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
        {
            // Only this adapter's entry: a namespace of the same name made
            // since has its own.
            let mut adapters = lock(&self.0.hub.adapters);
            let mine = adapters
                .get(&self.0.core.nsp)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&self.0)));
            if mine {
                adapters.remove(&self.0.core.nsp);
            }
        }
        if let Some(subs) = &self.0.hub.sharded {
            let me = self.0.reader();
            subs.unsubscribe(&self.0.public, &me);
            subs.unsubscribe(&self.0.private, &me);
        }
        self.0.core.abort();
        self.0.core.local.close().await
    }

    fn add_all(&self, id: &SocketId, rooms: &[Room]) {
        self.0.core.local.add_all(id, rooms);
    }

    fn del(&self, id: &SocketId, room: &Room) {
        self.0.core.local.del(id, room);
    }

    fn del_all(&self, id: &SocketId) {
        self.0.core.local.del_all(id);
    }

    fn socket_rooms(&self, id: &SocketId) -> HashSet<Room> {
        self.0.core.local.socket_rooms(id)
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> HashSet<SocketId> {
        self.0.core.local.sockets(rooms)
    }

    fn rooms(&self) -> HashSet<Room> {
        self.0.core.local.rooms()
    }

    fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), Error> {
        let shared = &self.0;
        if opts.flags.local {
            return shared.core.local.broadcast(packet, opts);
        }
        let message = shared.core.message(
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
        shared.core.local.broadcast(packet, opts)
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        acks: AckSender,
    ) -> Result<(), Error> {
        requests::broadcast_with_ack(&*self.0, packet, opts, acks).await
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error> {
        requests::fetch_sockets(&*self.0, opts).await
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        requests::add_sockets(&*self.0, opts, rooms).await
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        requests::del_sockets(&*self.0, opts, rooms).await
    }

    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error> {
        requests::disconnect_sockets(&*self.0, opts, close).await
    }

    async fn server_side_emit(
        &self,
        args: Vec<Value>,
        acks: Option<AckSender>,
    ) -> Result<(), Error> {
        requests::server_side_emit(&*self.0, args, acks).await
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

    async fn missed_since(
        &self,
        offset: &str,
        rooms: &HashSet<Room>,
    ) -> Result<Vec<Packet>, Error> {
        self.0.missed_since(offset, rooms).await
    }

    fn on_room_event(&self, listener: RoomListener) {
        self.0.core.local.on_room_event(listener);
    }
}

//! The sharded adapter of one namespace: what it sends goes on the channel
//! Node's `computeChannel` picks, answers on the requester's response
//! channel, servers are counted with `PUBSUB SHARDNUMSUB`; in the dynamic
//! modes each room of this server gets its channel when it is created and
//! loses it when it is deleted.

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use socketio_adapter::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, LocalSockets, PersistedSession,
    RestoredSession, Room, RoomEvent, RoomListener, SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};
use tokio::sync::oneshot;

use super::link::{Hub, Outgoing, Target};
use super::subscriptions::ShardReader;
use super::{channel_for, room_channel, subscribes_to, RedisShardedAdapterConfig};
use crate::cluster::{
    encode_packet, on_message, requests, Cluster, ClusterMessage, Core, MessageType,
};
use crate::message::{encode_options, object};

pub(super) struct Shared {
    hub: Arc<Hub>,
    core: Core,
    /// Held while a room's channel is brought in line with the room, so
    /// that two changes of one room apply in turn.
    rooms: std::sync::Mutex<()>,
    closed: std::sync::atomic::AtomicBool,
    /// `<prefix>#<nsp>#`, which every server reads.
    main: String,
    /// `<prefix>#<nsp>#<uid>#`, where the answers to our requests come.
    response: String,
}

/// The sharded adapter of one namespace. See the crate's docs.
pub struct RedisShardedAdapter(Arc<Shared>);

impl std::fmt::Debug for RedisShardedAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisShardedAdapter")
            .field("nsp", &self.0.core.nsp)
            .field("uid", &self.0.core.uid)
            .field("channel", &self.0.main)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisShardedAdapter {
    fn drop(&mut self) {
        self.0.core.abort();
    }
}

impl RedisShardedAdapter {
    /// The factory to give the server (`ServerBuilder::adapter`), for one
    /// Redis server (7.0 or later). The namespaces share one connection for
    /// commands and one for subscriptions.
    pub fn factory(
        client: redis::Client,
        config: RedisShardedAdapterConfig,
    ) -> impl AdapterFactory {
        Self::factory_for(Target::Single(client), config)
    }

    /// The factory for a Redis Cluster (7.0 or later), given the address of
    /// one or more of its nodes: each channel's messages go to the node of
    /// its slot, and the subscriptions follow slots and failovers.
    ///
    /// ```
    /// use redis::IntoConnectionInfo;
    /// use socketio_redis_adapter::{redis, RedisShardedAdapter, RedisShardedAdapterConfig};
    ///
    /// # fn main() -> Result<(), redis::RedisError> {
    /// let nodes = vec!["redis://127.0.0.1:7000".into_connection_info()?];
    /// let io = socketio_server::Server::builder()
    ///     .adapter(RedisShardedAdapter::cluster_factory(nodes, RedisShardedAdapterConfig::default()))
    ///     .build();
    /// # drop(io); Ok(()) }
    /// ```
    pub fn cluster_factory(
        nodes: Vec<redis::ConnectionInfo>,
        config: RedisShardedAdapterConfig,
    ) -> impl AdapterFactory {
        Self::factory_for(Target::Cluster(nodes), config)
    }

    fn factory_for(target: Target, config: RedisShardedAdapterConfig) -> impl AdapterFactory {
        let hub = Arc::new(Hub::new(target, config));
        move |sockets: Weak<dyn LocalSockets>| {
            let core = Core::new(sockets, hub.config.requests_timeout);
            let main = format!("{}#{}#", hub.config.channel_prefix, core.nsp);
            let response = format!("{main}{}#", core.uid);
            Arc::new(Self(Arc::new(Shared {
                hub: hub.clone(),
                core,
                rooms: std::sync::Mutex::new(()),
                closed: std::sync::atomic::AtomicBool::new(false),
                main,
                response,
            }))) as Arc<dyn Adapter>
        }
    }
}

impl Shared {
    /// Whether `room` is the id of one of this server's sockets.
    fn is_local_socket_id(&self, room: &Room) -> bool {
        self.core
            .local
            .socket_rooms(&SocketId::from(room.as_str()))
            .contains(room)
    }

    fn reader(self: &Arc<Self>) -> Weak<dyn ShardReader> {
        let me: Weak<Self> = Arc::downgrade(self);
        me
    }

    fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    fn on_room_event(self: &Arc<Self>, event: &RoomEvent) {
        if let RoomEvent::Create(room) | RoomEvent::Delete(room) = event {
            self.reconcile(room);
        }
    }

    /// Gives `room` its channel if it has members here and the mode wants
    /// one, and takes it away otherwise. The events that lead here may
    /// arrive out of order (they are told after the adapter's lock is
    /// released), so what the room is now decides, not the event.
    fn reconcile(self: &Arc<Self>, room: &Room) {
        let _turn = crate::lock(&self.rooms);
        let mode = self.hub.config.subscription_mode;
        let channel = room_channel(&self.main, room.as_str());
        let wanted = !self.is_closed()
            && self.core.local.has_room(room.as_str())
            && subscribes_to(mode, self.is_local_socket_id(room));
        if wanted {
            self.hub.subscriptions.subscribe(&channel, self.reader());
        } else {
            // Unsubscribing a channel never made is nothing.
            self.hub.subscriptions.unsubscribe(&channel, &self.reader());
        }
    }

    async fn start(self: &Arc<Self>) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let me = Arc::downgrade(self);
        self.core.local.on_room_event(Arc::new(move |event| {
            if let Some(me) = me.upgrade() {
                me.on_room_event(event);
            }
        }));
        // Rooms made before the listener was (the server starts the adapter
        // in the background).
        for room in self.core.local.rooms() {
            self.reconcile(&room);
        }
        let confirmations: Vec<_> = [self.main.clone(), self.response.clone()]
            .iter()
            .filter_map(|channel| self.hub.subscriptions.subscribe(channel, self.reader()))
            .collect();
        if self.is_closed() {
            // Closed meanwhile: leave nothing subscribed.
            self.unsubscribe_all();
            return Err(Error::Closed);
        }
        self.hub.start();
        let timeout = self.hub.config.requests_timeout;
        for confirmed in confirmations {
            match tokio::time::timeout(timeout, confirmed).await {
                Ok(Ok(result)) => result?,
                Ok(Err(_)) => return Err(Error::Broker("the subscription task stopped".into())),
                Err(_) => {
                    return Err(Error::Broker(
                        "Redis did not confirm the subscription; subscribing again".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Drops every channel this namespace reads (it closed).
    fn unsubscribe_all(self: &Arc<Self>) {
        let _turn = crate::lock(&self.rooms);
        let me = self.reader();
        let subs = &self.hub.subscriptions;
        for room in self.core.local.rooms() {
            subs.unsubscribe(&room_channel(&self.main, room.as_str()), &me);
        }
        subs.unsubscribe(&self.main, &me);
        subs.unsubscribe(&self.response, &me);
    }

    fn queue(&self, channel: String, message: &ClusterMessage, done: Option<oneshot::Sender<()>>) {
        self.hub.send(Outgoing {
            message: Some((channel, message.encode_json_or_msgpack())),
            done,
        });
    }
}

impl ShardReader for Shared {
    fn on_shard_message(self: Arc<Self>, channel: &str, payload: bytes::Bytes) {
        match ClusterMessage::decode_envelope(payload) {
            Ok(message) => on_message(&self, message, None),
            Err(e) => tracing::debug!(error = %e, %channel, "message ignored"),
        }
    }
}

#[async_trait]
impl Cluster for Shared {
    fn core(&self) -> &Core {
        &self.core
    }

    fn publish(&self, message: ClusterMessage) {
        let channel = channel_for(self.hub.config.subscription_mode, &self.main, &message);
        self.queue(channel, &message, None);
    }

    async fn publish_and_wait(&self, message: ClusterMessage) {
        let channel = channel_for(self.hub.config.subscription_mode, &self.main, &message);
        let (done, sent) = oneshot::channel();
        self.queue(channel, &message, Some(done));
        let _ = sent.await;
    }

    fn respond(&self, requester: &str, message: ClusterMessage) {
        self.queue(format!("{}{requester}#", self.main), &message, None);
    }

    async fn server_count(&self) -> Result<usize, Error> {
        let counts: std::collections::HashMap<String, usize> = self
            .hub
            .run(redis::cmd("PUBSUB").arg("SHARDNUMSUB").arg(&self.main))
            .await?;
        Ok(counts.get(&self.main).copied().unwrap_or(0))
    }
}

#[async_trait]
impl Adapter for RedisShardedAdapter {
    async fn init(&self) -> Result<(), Error> {
        self.0.start().await
    }

    async fn close(&self) -> Result<(), Error> {
        let shared = &self.0;
        shared
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        // What was queued before the close is sent first.
        let (done, sent) = oneshot::channel();
        shared.hub.send(Outgoing {
            message: None,
            done: Some(done),
        });
        let _ = tokio::time::timeout(shared.hub.config.requests_timeout, sent).await;
        shared.unsubscribe_all();
        shared.core.abort();
        shared.core.local.close().await
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
        if !opts.flags.local {
            shared.publish(shared.core.message(
                MessageType::Broadcast,
                object([
                    ("packet", encode_packet(&packet)),
                    ("opts", encode_options(&opts)),
                ]),
            ));
        }
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

    /// Once Redis confirmed every room channel subscribed so far (or the
    /// requests timeout passed, while Redis is out of reach).
    async fn settled(&self) -> Result<(), Error> {
        let timeout = self.0.hub.config.requests_timeout;
        tokio::time::timeout(timeout, self.0.hub.subscriptions.settled())
            .await
            .map_err(|_| Error::Broker("room subscriptions not confirmed in time".into()))?
    }

    async fn persist_session(&self, _session: PersistedSession) -> Result<(), Error> {
        // The sharded adapter keeps no sessions (no connection state
        // recovery, as in Node); the streams adapter does.
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
        self.0.core.local.on_room_event(listener);
    }
}

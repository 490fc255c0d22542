//! The `Adapter` trait: room membership, broadcasts, and the requests that
//! span every server of a cluster.

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use socketio_parser::{Packet, Value};

use crate::{
    AckSender, BroadcastOptions, Error, LocalSockets, PersistedSession, RestoredSession, Room,
    SocketDetails, SocketId,
};

/// A change in room membership, as Node's adapter emits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvent {
    /// A room got its first member (`create-room`).
    Create(Room),
    /// A room lost its last member (`delete-room`).
    Delete(Room),
    /// A socket joined a room (`join-room`).
    Join(Room, SocketId),
    /// A socket left a room (`leave-room`).
    Leave(Room, SocketId),
}

/// Something told of every [`RoomEvent`].
pub type RoomListener = Arc<dyn Fn(&RoomEvent) + Send + Sync>;

/// The rooms and broadcasts of one namespace, on this server and, for a
/// cluster adapter, across every server.
///
/// The server creates one adapter per namespace through an
/// [`AdapterFactory`]. Membership and broadcast are synchronous: they run on
/// every emit and must stay cheap (a cluster adapter keeps membership in
/// memory, as the in-memory adapter does, and publishes in the background).
/// The requests that need answers from other servers are async.
///
/// "The in-memory adapter" below is [`InMemoryAdapter`](crate::InMemoryAdapter);
/// "a cluster adapter" is one that spans several servers (Redis, ...).
#[async_trait]
pub trait Adapter: Send + Sync + 'static {
    /// Starts the adapter (subscribes to the broker, ...). In memory:
    /// nothing to do.
    async fn init(&self) -> Result<(), Error>;

    /// Stops the adapter (unsubscribes, ...). In memory: forgets every room.
    async fn close(&self) -> Result<(), Error>;

    /// Puts socket `id` in `rooms`. Always local: a socket's membership is
    /// kept by the server it is connected to.
    fn add_all(&self, id: &SocketId, rooms: &[Room]);

    /// Takes socket `id` out of `room`.
    fn del(&self, id: &SocketId, room: &Room);

    /// Takes socket `id` out of every room (it disconnected).
    fn del_all(&self, id: &SocketId);

    /// The rooms socket `id` is in (local sockets only).
    fn socket_rooms(&self, id: &SocketId) -> HashSet<Room>;

    /// The local sockets in any of `rooms` (every local socket of the
    /// namespace when `rooms` is empty).
    fn sockets(&self, rooms: &HashSet<Room>) -> HashSet<SocketId>;

    /// Every room with a local member.
    fn rooms(&self) -> HashSet<Room>;

    /// Sends `packet` to the sockets `opts` selects. In memory: delivers to
    /// the local ones through [`LocalSockets::deliver`], once per socket. A
    /// cluster adapter also publishes it for the other servers, unless
    /// `opts.flags.local`.
    fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), Error>;

    /// Sends `packet` (an EVENT) to the sockets `opts` selects, each with an
    /// ack id. For each server, announce how many sockets got it with
    /// [`AckSender::expect`], then pass on each answer. Return once every
    /// server's count has been announced (answers may still come after):
    /// the caller then knows how many answers to wait for. In memory: one
    /// `expect` with the local count. A cluster adapter adds the counts and
    /// answers the other servers report.
    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        acks: AckSender,
    ) -> Result<(), Error>;

    /// The sockets `opts` selects, with their details. In memory: the local
    /// ones. A cluster adapter asks every server (unless `opts.flags.local`)
    /// and waits for all answers or its timeout.
    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error>;

    /// Makes the sockets `opts` selects join `rooms`, on every server a
    /// cluster adapter reaches.
    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error>;

    /// Makes the sockets `opts` selects leave `rooms`, on every server.
    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error>;

    /// Disconnects the sockets `opts` selects (and closes their connection
    /// if `close`), on every server.
    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error>;

    /// Sends `args` (`[event, ...args]`) to the same namespace on every
    /// other server, which hears it through
    /// [`LocalSockets::server_side_emit`]. With `acks`, announce how many
    /// servers were asked ([`AckSender::expect`]) and pass on their answers.
    /// In memory there are no other servers: `expect(0)` and done.
    async fn server_side_emit(
        &self,
        args: Vec<Value>,
        acks: Option<AckSender>,
    ) -> Result<(), Error>;

    /// How many servers share this namespace (1 in memory).
    async fn server_count(&self) -> Result<usize, Error>;

    /// Keeps a disconnected socket's state for connection state recovery.
    /// Without recovery (the in-memory adapter's default) nothing is kept.
    async fn persist_session(&self, session: PersistedSession) -> Result<(), Error>;

    /// The state of session `pid` and the packets it missed since `offset`,
    /// if it can be recovered (it was persisted, has not expired, and the
    /// offset is known). Without recovery: always `None`.
    async fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> Result<Option<RestoredSession>, Error>;

    /// The packets kept for recovery after `offset` that a socket in
    /// `rooms` would have received. The server asks once a recovered
    /// socket has joined its rooms, for what was broadcast between
    /// [`Adapter::restore_session`] and the joins, so that nothing falls
    /// between the two. By default, and without recovery: none.
    async fn missed_since(
        &self,
        offset: &str,
        rooms: &HashSet<Room>,
    ) -> Result<Vec<Packet>, Error> {
        let _ = (offset, rooms);
        Ok(Vec::new())
    }

    /// Registers a listener for room events. Call listeners with no lock
    /// of the adapter held: a listener may use the adapter again (the
    /// admin UI's broadcasts each room change; user code may join or
    /// leave).
    fn on_room_event(&self, listener: RoomListener);

    /// Every room with a member on any server (Node's `allRooms()` of the
    /// Redis adapter), socket ids included. By default, and in memory: the
    /// local rooms.
    async fn all_rooms(&self) -> Result<HashSet<Room>, Error> {
        Ok(self.rooms())
    }

    /// Resolves once what this server has asked of its broker so far is
    /// in effect: after a `join` ([`Adapter::add_all`]), the other servers'
    /// broadcasts to those rooms reach this server's sockets. An adapter
    /// that subscribes to a room's channel in the background (the sharded
    /// Redis adapter) waits for the broker's confirmation; by default, and
    /// in memory, this is so at once. Node's `socket.join` returns the
    /// adapter's promise for the same reason.
    async fn settled(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Creates the adapter of each namespace, given that namespace's local
/// sockets (held weakly: the namespace owns the adapter).
pub trait AdapterFactory: Send + Sync + 'static {
    /// The adapter for the namespace `sockets` belongs to.
    fn create(&self, sockets: Weak<dyn LocalSockets>) -> Arc<dyn Adapter>;
}

impl<F> AdapterFactory for F
where
    F: Fn(Weak<dyn LocalSockets>) -> Arc<dyn Adapter> + Send + Sync + 'static,
{
    fn create(&self, sockets: Weak<dyn LocalSockets>) -> Arc<dyn Adapter> {
        self(sockets)
    }
}

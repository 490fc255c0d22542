//! The in-memory adapter: rooms of one server, indexed both ways.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use socketio_parser::{Packet, Value};

use self::recovery::RecoveryStore;

/// Now, on tokio's clock (the server's timers' clock too), so that a
/// runtime with paused time (tests) moves recovery's expiry as well.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
use crate::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, LocalSockets, PersistedSession,
    RestoredSession, Room, RoomEvent, RoomListener, SocketDetails, SocketId,
};

/// Room membership, both ways.
#[derive(Debug, Default)]
struct Membership {
    rooms: HashMap<Room, HashSet<SocketId>>,
    sids: HashMap<SocketId, HashSet<Room>>,
}

impl Membership {
    fn add(&mut self, id: &SocketId, room: &Room, events: &mut Vec<RoomEvent>) {
        self.sids
            .entry(id.clone())
            .or_default()
            .insert(room.clone());
        let members = self.rooms.entry(room.clone()).or_insert_with(|| {
            events.push(RoomEvent::Create(room.clone()));
            HashSet::new()
        });
        if members.insert(id.clone()) {
            events.push(RoomEvent::Join(room.clone(), id.clone()));
        }
    }

    fn del(&mut self, id: &SocketId, room: &Room, events: &mut Vec<RoomEvent>) {
        if let Some(rooms) = self.sids.get_mut(id) {
            rooms.remove(room);
        }
        if let Some(members) = self.rooms.get_mut(room) {
            if members.remove(id) {
                events.push(RoomEvent::Leave(room.clone(), id.clone()));
            }
            if members.is_empty() {
                self.rooms.remove(room);
                events.push(RoomEvent::Delete(room.clone()));
            }
        }
    }

    /// The sockets `opts` selects (Node's `apply`).
    fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        let excepted: HashSet<&SocketId> = opts
            .except
            .iter()
            .filter_map(|room| self.rooms.get(room))
            .flatten()
            .collect();
        if opts.rooms.is_empty() {
            return self
                .sids
                .keys()
                .filter(|id| !excepted.contains(id))
                .cloned()
                .collect();
        }
        // One room's members are distinct already: only several rooms need
        // the set that drops a socket met twice.
        let several = opts.rooms.len() > 1;
        let mut seen = HashSet::new();
        opts.rooms
            .iter()
            .filter_map(|room| self.rooms.get(room))
            .flatten()
            .filter(|id| !excepted.contains(id) && (!several || seen.insert(*id)))
            .cloned()
            .collect()
    }
}

/// The adapter of a single server: every socket of the namespace is local.
///
/// Membership is indexed by room and by socket under one lock, which is
/// released before anything is sent; room events go to the listeners
/// after the change, outside the lock.
pub struct InMemoryAdapter {
    sockets: Weak<dyn LocalSockets>,
    membership: RwLock<Membership>,
    listeners: RwLock<Vec<RoomListener>>,
    /// Sessions and packets, when connection state recovery is on.
    recovery: Option<Mutex<RecoveryStore>>,
}

impl std::fmt::Debug for InMemoryAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let membership = self
            .membership
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("InMemoryAdapter")
            .field("rooms", &membership.rooms.len())
            .field("sockets", &membership.sids.len())
            .finish_non_exhaustive()
    }
}

impl InMemoryAdapter {
    /// An adapter for the namespace `sockets` belongs to.
    pub fn new(sockets: Weak<dyn LocalSockets>) -> Self {
        Self {
            sockets,
            membership: RwLock::new(Membership::default()),
            listeners: RwLock::new(Vec::new()),
            recovery: None,
        }
    }

    /// An adapter that keeps what connection state recovery needs (Node's
    /// `SessionAwareAdapter`): each broadcast EVENT without ack id and not
    /// volatile gets an offset as its last argument and is kept, and the
    /// sessions of disconnected sockets are kept, both for at most
    /// `max_disconnection_duration`.
    pub fn with_recovery(
        sockets: Weak<dyn LocalSockets>,
        max_disconnection_duration: Duration,
    ) -> Self {
        let mut prefix = [0u8; 6];
        // Without randomness the offsets are still unique within this run.
        let _ = getrandom::fill(&mut prefix);
        let prefix: String = prefix.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            recovery: Some(Mutex::new(RecoveryStore::new(
                max_disconnection_duration,
                prefix,
            ))),
            ..Self::new(sockets)
        }
    }

    /// The factory the server uses by default.
    pub fn factory() -> impl AdapterFactory {
        |sockets: Weak<dyn LocalSockets>| Arc::new(Self::new(sockets)) as Arc<dyn Adapter>
    }

    /// The factory the server uses by default when connection state
    /// recovery is on (see [`InMemoryAdapter::with_recovery`]).
    pub fn recovering_factory(max_disconnection_duration: Duration) -> impl AdapterFactory {
        move |sockets: Weak<dyn LocalSockets>| {
            Arc::new(Self::with_recovery(sockets, max_disconnection_duration)) as Arc<dyn Adapter>
        }
    }

    fn store(&self) -> Option<std::sync::MutexGuard<'_, RecoveryStore>> {
        self.recovery
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The local sockets `opts` selects. Cluster adapters built on this one
    /// use it to serve requests from other servers.
    pub fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        self.membership
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .select(opts)
    }

    /// Whether `room` has a member here. Cluster adapters use it to drop a
    /// broadcast for a room this server has no one in before decoding it.
    pub fn has_room(&self, room: &str) -> bool {
        self.membership
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .rooms
            .contains_key(room)
    }

    /// The namespace's local sockets, while the namespace exists.
    pub fn local(&self) -> Option<Arc<dyn LocalSockets>> {
        self.sockets.upgrade()
    }

    fn change(&self, f: impl FnOnce(&mut Membership, &mut Vec<RoomEvent>)) {
        let mut events = Vec::new();
        {
            let mut membership = self
                .membership
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            f(&mut membership, &mut events);
        }
        if events.is_empty() {
            return;
        }
        let listeners = self
            .listeners
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for event in &events {
            for listener in &listeners {
                listener(event);
            }
        }
    }
}

#[async_trait]
impl Adapter for InMemoryAdapter {
    async fn init(&self) -> Result<(), Error> {
        Ok(())
    }

    async fn close(&self) -> Result<(), Error> {
        *self
            .membership
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Membership::default();
        Ok(())
    }

    fn add_all(&self, id: &SocketId, rooms: &[Room]) {
        self.change(|m, events| {
            for room in rooms {
                m.add(id, room, events);
            }
        });
    }

    fn del(&self, id: &SocketId, room: &Room) {
        self.change(|m, events| m.del(id, room, events));
    }

    fn del_all(&self, id: &SocketId) {
        self.change(|m, events| {
            let rooms = m.sids.remove(id).unwrap_or_default();
            for room in &rooms {
                m.del(id, room, events);
            }
        });
    }

    fn socket_rooms(&self, id: &SocketId) -> HashSet<Room> {
        self.membership
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .sids
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> HashSet<SocketId> {
        let opts = BroadcastOptions {
            rooms: rooms.clone(),
            ..BroadcastOptions::default()
        };
        self.select(&opts).into_iter().collect()
    }

    fn rooms(&self) -> HashSet<Room> {
        self.membership
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .rooms
            .keys()
            .cloned()
            .collect()
    }

    fn broadcast(&self, mut packet: Packet, opts: BroadcastOptions) -> Result<(), Error> {
        if let Some(mut store) = self.store() {
            store.offer(&mut packet, &opts, now());
        }
        let targets = self.select(&opts);
        if let Some(sockets) = self.local() {
            sockets.deliver(&targets, &packet, &opts.flags);
        }
        Ok(())
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        acks: AckSender,
    ) -> Result<(), Error> {
        let targets = self.select(&opts);
        let sent = match self.local() {
            Some(sockets) => sockets.deliver_with_ack(&targets, &packet, &opts.flags, acks.clone()),
            None => 0,
        };
        acks.expect(sent);
        Ok(())
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error> {
        let targets = self.select(&opts);
        Ok(self
            .local()
            .map(|s| s.details(&targets))
            .unwrap_or_default())
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        for id in self.select(&opts) {
            self.add_all(&id, &rooms);
        }
        Ok(())
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        for id in self.select(&opts) {
            for room in &rooms {
                self.del(&id, room);
            }
        }
        Ok(())
    }

    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error> {
        let targets = self.select(&opts);
        if let Some(sockets) = self.local() {
            sockets.disconnect(&targets, close);
        }
        Ok(())
    }

    async fn server_side_emit(
        &self,
        _args: Vec<Value>,
        acks: Option<AckSender>,
    ) -> Result<(), Error> {
        // No other server to tell.
        if let Some(acks) = acks {
            acks.expect(0);
        }
        Ok(())
    }

    async fn server_count(&self) -> Result<usize, Error> {
        Ok(1)
    }

    async fn persist_session(&self, session: PersistedSession) -> Result<(), Error> {
        // Without connection state recovery nothing is kept, as in Node's
        // base adapter.
        if let Some(mut store) = self.store() {
            store.persist(session, now());
        }
        Ok(())
    }

    async fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> Result<Option<RestoredSession>, Error> {
        Ok(self
            .store()
            .and_then(|mut store| store.restore(pid, offset, now())))
    }

    async fn missed_since(
        &self,
        offset: &str,
        rooms: &HashSet<Room>,
    ) -> Result<Vec<Packet>, Error> {
        Ok(self
            .store()
            .map(|store| store.since(offset, rooms))
            .unwrap_or_default())
    }

    fn on_room_event(&self, listener: RoomListener) {
        self.listeners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }
}

mod recovery;
#[cfg(test)]
mod tests;

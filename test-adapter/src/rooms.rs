//! Room membership of one namespace, indexed by room and by socket.

use std::collections::{HashMap, HashSet};

use socketio_adapter::{BroadcastOptions, Room, RoomEvent, SocketId};

/// Who is in which room, both ways. The two maps always agree, and
/// neither keeps an empty set.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    members: HashMap<Room, HashSet<SocketId>>,
    of_socket: HashMap<SocketId, HashSet<Room>>,
}

impl Rooms {
    /// Puts `id` in `room`, noting the room events it causes.
    pub(crate) fn join(&mut self, id: &SocketId, room: &Room, events: &mut Vec<RoomEvent>) {
        self.of_socket
            .entry(id.clone())
            .or_default()
            .insert(room.clone());
        let members = self.members.entry(room.clone()).or_insert_with(|| {
            events.push(RoomEvent::Create(room.clone()));
            HashSet::new()
        });
        if members.insert(id.clone()) {
            events.push(RoomEvent::Join(room.clone(), id.clone()));
        }
    }

    /// Takes `id` out of `room`, noting the room events it causes.
    pub(crate) fn leave(&mut self, id: &SocketId, room: &Room, events: &mut Vec<RoomEvent>) {
        if let Some(rooms) = self.of_socket.get_mut(id) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.of_socket.remove(id);
            }
        }
        if let Some(members) = self.members.get_mut(room) {
            if members.remove(id) {
                events.push(RoomEvent::Leave(room.clone(), id.clone()));
            }
            if members.is_empty() {
                self.members.remove(room);
                events.push(RoomEvent::Delete(room.clone()));
            }
        }
    }

    /// Takes `id` out of every room.
    pub(crate) fn leave_all(&mut self, id: &SocketId, events: &mut Vec<RoomEvent>) {
        let mut rooms: Vec<Room> = self
            .of_socket
            .get(id)
            .map(|rooms| rooms.iter().cloned().collect())
            .unwrap_or_default();
        rooms.sort();
        for room in &rooms {
            self.leave(id, room, events);
        }
    }

    /// The rooms `id` is in.
    pub(crate) fn of(&self, id: &SocketId) -> HashSet<Room> {
        self.of_socket.get(id).cloned().unwrap_or_default()
    }

    /// Every room with a member.
    pub(crate) fn names(&self) -> HashSet<Room> {
        self.members.keys().cloned().collect()
    }

    /// The sockets `opts` selects, sorted: those in any of `opts.rooms`
    /// (every socket when it is empty) and in none of `opts.except`.
    pub(crate) fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        let excepted = |id: &SocketId| {
            self.of_socket
                .get(id)
                .is_some_and(|rooms| !rooms.is_disjoint(&opts.except))
        };
        let candidates: HashSet<&SocketId> = if opts.rooms.is_empty() {
            self.of_socket.keys().collect()
        } else {
            opts.rooms
                .iter()
                .filter_map(|room| self.members.get(room))
                .flatten()
                .collect()
        };
        let mut targets: Vec<SocketId> = candidates
            .into_iter()
            .filter(|id| !excepted(id))
            .cloned()
            .collect();
        targets.sort();
        targets
    }
}

//! Whom a broadcast or a cluster-wide request is for, and how to send it.

use std::collections::HashSet;
use std::time::Duration;

use crate::{Room, SocketId};

/// How a packet is sent (Node's `BroadcastFlags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastFlags {
    /// Only to the sockets of this server, not the rest of the cluster.
    pub local: bool,
    /// May be dropped if a client is not ready (its queue is full or it is
    /// between transports).
    pub volatile: bool,
    /// Whether the transport may compress it (default true).
    pub compress: bool,
    /// For broadcasts with acks: how long to wait for the answers.
    pub timeout: Option<Duration>,
}

impl Default for BroadcastFlags {
    fn default() -> Self {
        Self {
            local: false,
            volatile: false,
            compress: true,
            timeout: None,
        }
    }
}

/// The sockets an operation applies to: those in any of `rooms` (all
/// sockets of the namespace when `rooms` is empty), minus those in any of
/// `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// Target rooms; empty means every socket.
    pub rooms: HashSet<Room>,
    /// Rooms whose sockets are left out (a socket id is a room too).
    pub except: HashSet<Room>,
    /// How to send.
    pub flags: BroadcastFlags,
}

impl BroadcastOptions {
    /// Every socket of the namespace.
    pub fn all() -> Self {
        Self::default()
    }

    /// Exactly one socket.
    pub fn socket(id: &SocketId) -> Self {
        Self {
            rooms: HashSet::from([Room::from(id)]),
            ..Self::default()
        }
    }

    /// Whether a socket in `socket_rooms` is a target (Node's
    /// `shouldIncludePacket`).
    pub fn includes(&self, socket_rooms: &HashSet<Room>) -> bool {
        let targeted = self.rooms.is_empty() || self.rooms.iter().any(|r| socket_rooms.contains(r));
        let excepted = self.except.iter().any(|r| socket_rooms.contains(r));
        targeted && !excepted
    }
}

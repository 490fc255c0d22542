//! Broadcast operators: `to`, `except`, `local`, `volatile`, `compress`,
//! then `emit`.

use std::collections::HashSet;

use serde::Serialize;
use socketio_adapter::{BroadcastOptions, Room, SocketId};
use socketio_parser::Packet;

use crate::handler::to_args;
use crate::namespace::Namespace;
use crate::socket::check_event;
use crate::Error;

/// Whom a broadcast goes to and how (Node's `BroadcastOperator`). Built by
/// [`Namespace::to`], [`Socket::to`](crate::Socket::to), ...; each method
/// returns a new operator.
#[derive(Debug, Clone)]
pub struct BroadcastOperator {
    ns: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace, opts: BroadcastOptions) -> Self {
        Self { ns, opts }
    }

    /// Also targets the sockets in `room`.
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        self.opts.rooms.insert(room.into());
        self
    }

    /// The same as [`BroadcastOperator::to`] (Node's `in`).
    pub fn within(self, room: impl Into<Room>) -> Self {
        self.to(room)
    }

    /// Leaves out the sockets in `room` (a socket id is a room too).
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.opts.except.insert(room.into());
        self
    }

    /// Only the sockets of this server, not of the rest of the cluster.
    pub fn local(mut self) -> Self {
        self.opts.flags.local = true;
        self
    }

    /// The packet may be dropped for clients that are not ready for it.
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = true;
        self
    }

    /// Whether the packet may be compressed.
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = compress;
        self
    }

    /// The ids of the selected sockets on this server (Node's
    /// `allSockets()`).
    pub fn all_sockets(&self) -> HashSet<SocketId> {
        let adapter = self.ns.adapter();
        let mut ids = adapter.sockets(&self.opts.rooms);
        if !self.opts.except.is_empty() {
            let excluded = adapter.sockets(&self.opts.except);
            ids.retain(|id| !excluded.contains(id));
        }
        ids
    }

    /// Sends `event` with `args` (a tuple or `Vec` of arguments) to the
    /// selected sockets; the packet is encoded once for all of them.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        check_event(event)?;
        let packet = Packet::event(self.ns.name_str(), event, to_args(&args)?, None);
        self.ns.adapter().broadcast(packet, self.opts.clone())?;
        Ok(())
    }
}

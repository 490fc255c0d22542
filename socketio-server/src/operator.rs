//! Broadcast operators: `to`, `except`, `local`, `volatile`, `compress`,
//! `timeout`, then `emit`, `emit_with_ack`, or a server-wide operation
//! (`fetch_sockets`, `sockets_join`, `sockets_leave`, `disconnect_sockets`).

use std::collections::HashSet;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_adapter::{ack_channel, BroadcastOptions, Room, SocketId};
use tokio::time::Instant;

use crate::acks::{AckStream, DEFAULT_ACK_TIMEOUT};
use crate::remote::RemoteSocket;
use socketio_parser::Packet;

use crate::args::to_args;
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

    /// Sets how long [`BroadcastOperator::emit_with_ack`] waits for the
    /// answers (default [`DEFAULT_ACK_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.flags.timeout = Some(timeout);
        self
    }

    /// Sends `event` with `args` to the selected sockets, each asked for an
    /// ack, and returns their answers, decoded as `T`, as they arrive (see
    /// [`AckStream`]). The packet is encoded once for all of them.
    ///
    /// ```no_run
    /// # async fn run(io: socketio_server::Server) -> Result<(), socketio_server::Error> {
    /// use std::time::Duration;
    /// let answers: Vec<(String,)> = io
    ///     .to("players")
    ///     .timeout(Duration::from_secs(2))
    ///     .emit_with_ack("ready?", ())
    ///     .await?
    ///     .collect_all()
    ///     .await?;
    /// # let _ = answers; Ok(()) }
    /// ```
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<AckStream<T>, Error> {
        check_event(event)?;
        let deadline = Instant::now() + self.opts.flags.timeout.unwrap_or(DEFAULT_ACK_TIMEOUT);
        let id = self.ns.next_ack_id();
        let packet = Packet::event(self.ns.name_str(), event, to_args(&args)?, Some(id));
        let (tx, rx) = ack_channel();
        let announced = self
            .ns
            .adapter()
            .broadcast_with_ack(packet, self.opts.clone(), tx);
        AckStream::after(announced, rx, deadline).await
    }

    /// The selected sockets, on every server the adapter reaches (Node's
    /// `fetchSockets()`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, Error> {
        let details = self.ns.adapter().fetch_sockets(self.opts.clone()).await?;
        Ok(details
            .into_iter()
            .map(|d| RemoteSocket::new(self.ns.clone(), d))
            .collect())
    }

    /// Makes the selected sockets join `rooms` (Node's `socketsJoin`).
    pub async fn sockets_join<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        let rooms = rooms.into_iter().map(Into::into).collect();
        Ok(self
            .ns
            .adapter()
            .add_sockets(self.opts.clone(), rooms)
            .await?)
    }

    /// Makes the selected sockets leave `rooms` (Node's `socketsLeave`).
    pub async fn sockets_leave<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        let rooms = rooms.into_iter().map(Into::into).collect();
        Ok(self
            .ns
            .adapter()
            .del_sockets(self.opts.clone(), rooms)
            .await?)
    }

    /// Disconnects the selected sockets; with `close`, their whole
    /// connections too (Node's `disconnectSockets`).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        Ok(self
            .ns
            .adapter()
            .disconnect_sockets(self.opts.clone(), close)
            .await?)
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

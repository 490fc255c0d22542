//! Emits to one client with options: `socket.timeout(d)`,
//! `socket.volatile()`, `socket.compress(..)`.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_parser::Packet;
use tokio::sync::oneshot;

use super::{check_event, lock, AckWaiter, Socket};
use crate::args::{from_args, to_args};
use crate::Error;

/// `socket.timeout(d)`: an emit that waits for the client's answer.
#[derive(Debug)]
pub struct TimeoutEmitter<'a> {
    pub(super) socket: &'a Socket,
    pub(super) timeout: Duration,
}

impl TimeoutEmitter<'_> {
    /// Sends `event` with `args` and waits at most the timeout for the
    /// answer, read as `T` (see [`Data`](crate::Data) for how arguments
    /// read). Fails with [`Error::Timeout`], or with
    /// [`Error::Disconnected`] if the socket leaves first.
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, Error> {
        request_ack(self.socket, event, &args, Some(self.timeout)).await
    }
}

/// Sends `event` with an ack id and waits for the answer: at most
/// `timeout`, or until the socket leaves.
pub(super) async fn request_ack<T: DeserializeOwned>(
    socket: &Socket,
    event: &str,
    args: &impl Serialize,
    timeout: Option<Duration>,
) -> Result<T, Error> {
    check_event(event)?;
    let id = socket.0.ns.next_ack_id();
    let (tx, rx) = oneshot::channel();
    socket.register_ack(id, AckWaiter::One(tx));
    let packet = Packet::event(socket.namespace_name(), event, to_args(args)?, Some(id));
    let sent_at = tokio::time::Instant::now();
    if let Err(e) = socket.emit_event(packet, false) {
        lock(&socket.0.acks).remove(&id);
        return Err(e);
    }
    let answer = match timeout {
        Some(timeout) => match tokio::time::timeout(timeout, rx).await {
            Ok(answer) => answer,
            Err(_) => {
                lock(&socket.0.acks).remove(&id);
                return Err(Error::Timeout);
            }
        },
        None => rx.await,
    };
    // The sender is dropped when the socket leaves.
    let answer = answer.map_err(|_| Error::Disconnected)?;
    socket.0.ns.metrics().ack_round_trip(sent_at.elapsed());
    from_args(&answer).map_err(|e| Error::Serde(e.to_string()))
}

/// `socket.volatile()` or `socket.compress(..)`: an emit to this client
/// with flags.
#[derive(Debug)]
pub struct SocketEmitter<'a> {
    pub(super) socket: &'a Socket,
    pub(super) volatile: bool,
}

impl SocketEmitter<'_> {
    /// The packet may be dropped if the client is not ready for it.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Sends `event` with `args`, as [`Socket::emit`]. A volatile packet
    /// that does not fit the client's buffer is dropped without error.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        let socket = self.socket;
        check_event(event)?;
        let packet = Packet::event(socket.namespace_name(), event, to_args(&args)?, None);
        socket.emit_event(packet, self.volatile)
    }
}

//! The adapter's view of this server's sockets in one namespace.

use socketio_parser::{Packet, Value};

use crate::{AckSender, BroadcastFlags, SocketDetails, SocketId};

/// How an adapter reaches the sockets of its namespace on this server.
///
/// The server implements this for each namespace and hands it to the
/// adapter it creates (dependency inversion: the adapter crate knows
/// nothing of the server). Calls must not block; the adapter never holds
/// a lock of its own while calling them.
pub trait LocalSockets: Send + Sync + 'static {
    /// The namespace's name (`/`, `/chat`, ...).
    fn namespace(&self) -> &str;

    /// How long a disconnected session may be recovered, when the server
    /// has connection state recovery on (`None` when it is off, the
    /// default). A cluster adapter that persists sessions sets their
    /// expiry from it, and gives broadcasts their offsets only when on.
    fn recovery(&self) -> Option<std::time::Duration> {
        None
    }

    /// Sends `packet` to these sockets, encoding it once for all of them.
    /// Ids of sockets that are gone are skipped.
    fn deliver(&self, sockets: &[SocketId], packet: &Packet, flags: &BroadcastFlags);

    /// Sends `packet` (an EVENT) to these sockets with an ack id (a packet
    /// without one, from another server, gets the namespace's next), and
    /// sends each client's answer to `acks`. Returns how many sockets it was sent
    /// to; the caller announces that count with [`AckSender::expect`].
    fn deliver_with_ack(
        &self,
        sockets: &[SocketId],
        packet: &Packet,
        flags: &BroadcastFlags,
        acks: AckSender,
    ) -> usize;

    /// The details of these sockets (those still connected).
    fn details(&self, sockets: &[SocketId]) -> Vec<SocketDetails>;

    /// Disconnects these sockets from the namespace, and closes their
    /// connection too if `close`.
    fn disconnect(&self, sockets: &[SocketId], close: bool);

    /// Another server emitted `args` (`[event, ...args]`) with
    /// `server_side_emit`; `reply` is there when it waits for an answer.
    fn server_side_emit(&self, args: Vec<Value>, reply: Option<AckSender>);
}

//! What the layer above sees: a handler told of each new session, and a
//! connection object per session told of its messages and its close.

use engineio_protocol::Message;

use crate::{CloseReason, Socket};

/// The application (or the socket.io layer) on top of the engine.
///
/// [`Handler::on_connect`] runs once per session, when its handshake is
/// done and before any of its messages; it returns the session's
/// [`Connection`], which then hears of each message and of the close.
/// Callbacks of one session run one at a time and in order; different
/// sessions run in parallel. Callbacks must not block: hand long work to a
/// task.
pub trait Handler: Send + Sync + 'static {
    /// The per-session state that receives the session's events.
    type Connection: Connection;

    /// A client completed the handshake; `socket` sends to it.
    fn on_connect(&self, socket: Socket) -> Self::Connection;
}

/// One session's receiver of events.
pub trait Connection: Send + 'static {
    /// The client sent a message (text or binary, as it was sent).
    fn on_message(&mut self, message: Message);

    /// The session moved from long-polling to WebSocket (Node's `upgrade`
    /// event). Nothing to do by default.
    fn on_upgrade(&mut self) {}

    /// The session closed; this is the last call.
    fn on_close(&mut self, reason: CloseReason);
}

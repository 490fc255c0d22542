//! The one error type of this crate.

/// What can go wrong in the socket.io server layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket is disconnected: nothing more can be sent to it.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The event name is reserved by the protocol (`connect`, `disconnect`, ...).
    #[error("\"{0}\" is a reserved event name")]
    ReservedEvent(String),
    /// The arguments could not be turned into socket.io values, or an
    /// answer into the type asked for.
    #[error("cannot convert the arguments: {0}")]
    Serde(String),
    /// No acknowledgement came within the timeout.
    #[error("operation has timed out")]
    Timeout,
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] socketio_adapter::Error),
    /// The engine.io layer refused to send (the client's buffer is full).
    #[error(transparent)]
    Engine(#[from] engineio_server::Error),
}

//! The one error type of this crate.

use serde::Serialize;
use socketio_parser::Value;

/// What can go wrong in the socket.io server layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
    /// Not every expected acknowledgement came: the timeout fired, or the
    /// sockets (or servers) that were to answer went away first.
    #[error("{answered} of {expected} acknowledgements came in time")]
    AckTimeout {
        /// How many answered.
        answered: usize,
        /// How many were expected.
        expected: usize,
    },
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] socketio_adapter::Error),
    /// A middleware refused a connection or a packet. A namespace
    /// middleware's refusal reaches the client as CONNECT_ERROR with this
    /// message and data; a packet middleware's goes to the socket's `error`
    /// handlers.
    #[error("{message}")]
    Refused {
        /// The message the client sees (`err.message` in Node).
        message: String,
        /// Extra data for the client (`err.data` in Node).
        data: Option<Value>,
    },
    /// An event's arguments (or a connection's auth payload) do not fit
    /// the type a handler asked for with [`Data`](crate::Data): that
    /// handler is not called.
    #[error("the arguments of \"{event}\" do not fit the handler: {message}")]
    InvalidData {
        /// The event, or `connection auth`.
        event: String,
        /// What serde said.
        message: String,
    },
    /// A handler asked for [`State<S>`](crate::State) of a type that was
    /// not given to [`ServerBuilder::with_state`](crate::ServerBuilder::with_state).
    #[error("no state of type {0} was given to the server builder")]
    MissingState(&'static str),
    /// The client bundle could not be read (a missing directory or file).
    #[error("client bundle: {0}")]
    ClientBundle(String),
    /// [`Server::instrument`](crate::Server::instrument) was given a
    /// password that is not a bcrypt hash, or was called twice.
    #[error("admin UI: {0}")]
    InvalidAdminConfig(String),
    /// The client sent something that is not a socket.io packet. Its
    /// sockets' error handlers hear this, then its connection closes and
    /// they leave with `forced close` (as in Node, a reason that connection
    /// state recovery accepts).
    #[error("invalid packet: {0}")]
    InvalidPacket(socketio_parser::Error),
    /// The engine.io layer refused to send (the client's buffer is full).
    #[error(transparent)]
    Engine(#[from] engineio_server::Error),
}

impl Error {
    /// A refusal with `message`, for middleware (Node's `next(new Error(message))`).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data` to a refusal (Node's `err.data`); other errors become
    /// a refusal with their message and this data.
    pub fn with_data(self, data: impl Serialize) -> Self {
        let data = socketio_parser::to_value(&data).ok();
        match self {
            Self::Refused { message, .. } => Self::Refused { message, data },
            other => Self::Refused {
                message: other.to_string(),
                data,
            },
        }
    }
}

//! Why a socket disconnected, in Node's words.

use std::fmt;

use engineio_server::CloseReason;

/// Why a socket left its namespace, as Node's socket.io names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The server called `socket.disconnect()`.
    ServerNamespaceDisconnect,
    /// The client called `socket.disconnect()`.
    ClientNamespaceDisconnect,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client stopped answering heartbeats.
    PingTimeout,
    /// The client closed its connection.
    TransportClose,
    /// The connection failed.
    TransportError,
    /// The client sent something that does not decode.
    ParseError,
    /// The engine.io session was closed by the server.
    ForcedClose,
    /// The client joined no namespace in time.
    ForcedServerClose,
    /// The client stopped reading and its outgoing buffer reached its bound.
    BufferFull,
}

impl DisconnectReason {
    /// The reason as Node spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerShuttingDown => "server shutting down",
            Self::PingTimeout => "ping timeout",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::ForcedServerClose => "forced server close",
            Self::BufferFull => "transport buffer full",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::TransportClose => Self::TransportClose,
            CloseReason::PingTimeout => Self::PingTimeout,
            CloseReason::TransportError => Self::TransportError,
            CloseReason::ParseError => Self::ParseError,
            CloseReason::ServerShuttingDown => Self::ServerShuttingDown,
            CloseReason::BufferFull => Self::BufferFull,
            _ => Self::ForcedClose,
        }
    }
}

//! Why a session closed.

use std::fmt;

/// Why a session closed, named as Node's engine.io names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed the transport, sent a CLOSE packet, or went away.
    TransportClose,
    /// No heartbeat arrived in time.
    PingTimeout,
    /// The transport failed, or the client broke the protocol (a heartbeat
    /// in the wrong direction, a second pending GET, ...).
    TransportError,
    /// The client sent something that does not decode.
    ParseError,
    /// The application closed the session.
    ForcedClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client stopped reading and its outgoing buffer reached its bound.
    BufferFull,
}

impl CloseReason {
    /// The reason as Node's engine.io spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransportClose => "transport close",
            Self::PingTimeout => "ping timeout",
            Self::TransportError => "transport error",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::ServerShuttingDown => "server shutting down",
            Self::BufferFull => "transport buffer full",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//! The one error type of this crate.

use crate::ErrorCode;

/// Everything that can go wrong while decoding Engine.IO input.
///
/// Every variant means the peer sent something the protocol does not allow;
/// [`Error::code`] tells which engine.io HTTP error a server answers with
/// when the input came with a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A packet with no bytes at all (not even a type).
    #[error("empty packet")]
    EmptyPacket,
    /// The packet type is not one of `0` to `6`.
    #[error("unknown packet type {0:#04x}")]
    UnknownPacketType(u8),
    /// A binary packet of a type other than `message` (engine.io v3 frames
    /// carry the type in their first byte).
    #[error("binary data in a packet that is not a message")]
    BinaryNotMessage,
    /// Base64 data (a `b` packet) that does not decode.
    #[error("invalid base64 data")]
    InvalidBase64,
    /// Text that is not UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// The open packet's JSON does not describe a handshake.
    #[error("invalid open packet: {0}")]
    InvalidOpenPacket(String),
    /// An empty polling payload, which no client sends.
    #[error("empty payload")]
    EmptyPayload,
    /// A payload (or body) larger than the configured limit.
    #[error("payload exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A v3 payload whose length prefix is missing, not a number, or does not
    /// match the packet that follows.
    #[error("invalid length prefix in a v3 payload")]
    InvalidLength,
    /// The `transport` query parameter names no known transport.
    #[error("unknown transport")]
    UnknownTransport,
    /// The `EIO` query parameter is missing or names an unsupported version.
    #[error("unsupported protocol version")]
    UnsupportedProtocolVersion,
    /// A query parameter has an invalid value (the name is given).
    #[error("invalid query parameter {0:?}")]
    InvalidQuery(&'static str),
}

impl Error {
    /// The engine.io HTTP error a server answers with when a request carried
    /// this input.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownTransport => ErrorCode::UnknownTransport,
            Self::UnsupportedProtocolVersion => ErrorCode::UnsupportedProtocolVersion,
            _ => ErrorCode::BadRequest,
        }
    }
}

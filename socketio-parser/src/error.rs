//! The one error type of this crate.

/// Everything that can go wrong while encoding or decoding Socket.IO packets.
///
/// The variants up to [`Error::InvalidMsgpack`] mean the peer broke the
/// protocol: the connection that sent the bytes should be closed with a
/// `parse error`. [`Error::Serialize`] and [`Error::Deserialize`] come from
/// converting between [`Value`](crate::Value) and the caller's own types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet was empty: there is not even a packet type.
    #[error("empty packet")]
    EmptyPacket,
    /// The packet type is not one of 0 to 6 (0 to 4 in msgpack).
    #[error("unknown packet type {0:?}")]
    UnknownPacketType(String),
    /// A binary packet's attachment count is missing, not a number, or not
    /// followed by `-`.
    #[error("illegal attachments count")]
    IllegalAttachments,
    /// A packet announced more attachments than this decoder accepts.
    #[error("packet announces {announced} attachments, the limit is {limit}")]
    TooManyAttachments {
        /// How many attachments the packet announced.
        announced: usize,
        /// The decoder's limit.
        limit: usize,
    },
    /// A placeholder points at an attachment that does not exist, or a
    /// placeholder object is malformed.
    #[error("invalid attachment placeholder")]
    InvalidPlaceholder,
    /// The namespace does not start with `/` or is not a string.
    #[error("invalid namespace")]
    InvalidNamespace,
    /// The ack id is not a non-negative integer, or does not fit in 64 bits.
    #[error("invalid ack id")]
    InvalidAckId,
    /// The payload is not valid JSON (the message is serde_json's).
    #[error("invalid JSON payload: {0}")]
    InvalidJson(String),
    /// The payload is valid JSON but has the wrong shape for the packet
    /// type: for example an EVENT whose data is not a non-empty array that
    /// starts with the event name.
    #[error("invalid payload for {packet_type} packet: {reason}")]
    InvalidPayload {
        /// The packet type, as the protocol names it.
        packet_type: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// An EVENT used a name reserved by Socket.IO (`connect`, `disconnect`, ...).
    #[error("reserved event name {0:?}")]
    ReservedEventName(String),
    /// A text frame arrived while the attachments of a binary packet were
    /// still expected.
    #[error("got a text frame while reconstructing a binary packet")]
    UnexpectedText,
    /// A binary frame arrived while no binary packet was being reconstructed
    /// (or, for the JSON format, where a text frame was expected).
    #[error("got a binary frame when not reconstructing a packet")]
    UnexpectedBinary,
    /// The msgpack bytes are malformed (truncated, trailing bytes, an
    /// unknown marker, a non-string map key, ...).
    #[error("invalid msgpack: {0}")]
    InvalidMsgpack(&'static str),
    /// A value could not be turned into a [`Value`](crate::Value).
    #[error("cannot serialize: {0}")]
    Serialize(String),
    /// A [`Value`](crate::Value) could not be turned into the requested type.
    #[error("cannot deserialize: {0}")]
    Deserialize(String),
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::Serialize(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::Deserialize(msg.to_string())
    }
}

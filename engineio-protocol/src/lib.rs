//! Sans-IO codec for the Engine.IO protocol, versions 4 (engine.io 4+,
//! socket.io 3+ clients) and 3 (socket.io 2.x clients).
//!
//! This crate turns bytes into [`Packet`]s and back. It does no I/O, reads
//! no clock, spawns nothing and depends on no async runtime or HTTP crate:
//! the transports, sessions and heartbeats live in `engineio-server`.
//!
//! # Layout
//! - [`Packet`] and [`Message`]: the packet table, and one packet alone (a
//!   WebSocket frame, via [`Packet::decode_frame`] and [`Packet::to_frame`]).
//! - [`payload`]: many packets in one polling body ([`PayloadFormat`] v4,
//!   v3 string, v3 binary), and [`BodyBuffer`] to refuse oversized bodies early.
//! - [`OpenPacket`]: the handshake data.
//! - [`Query`]: the request's `EIO`, `transport`, `sid`, `b64` and `j`.
//! - [`ErrorCode`]: the HTTP errors of an engine.io server; [`Error`]: what
//!   decoding can fail with.
//! - [`jsonp`]: the JSONP polling variant's response script and form body.
//! - [`Str`]: UTF-8 text sharing its buffer.
//!
//! # Example
//! ```
//! use bytes::{Bytes, BytesMut};
//! use engineio_protocol::{decode_payload, encode_payload, Packet, PayloadFormat};
//!
//! // A v4 polling body with a text and a binary message.
//! let body = Bytes::from_static(b"4hello\x1ebAQIDBA==");
//! let packets = decode_payload(body, PayloadFormat::V4)?;
//! assert_eq!(packets, [Packet::text("hello"), Packet::binary(vec![1, 2, 3, 4])]);
//!
//! // The same packets for a socket.io 2.x client that asked for base64.
//! let mut out = BytesMut::new();
//! encode_payload(&packets, PayloadFormat::V3String, &mut out);
//! assert_eq!(&out[..], b"6:4hello10:b4AQIDBA==");
//! # Ok::<(), engineio_protocol::Error>(())
//! ```

mod error;
mod error_code;
pub mod jsonp;
mod open;
mod packet;
pub mod payload;
mod query;
mod str;

pub use error::Error;
pub use error_code::ErrorCode;
pub use open::OpenPacket;
pub use packet::{Message, Packet, PROBE};
pub use payload::{decode_payload, encode_payload, BodyBuffer, PayloadFormat};
pub use query::{pairs as query_pairs, percent_decode, Query, Transport};
pub use str::Str;

/// The Engine.IO protocol version a client speaks (the `EIO` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// Protocol 3: engine.io 3.x, used by socket.io 2.x. The client sends
    /// the pings; payloads are length-prefixed.
    V3 = 3,
    /// Protocol 4: engine.io 4 and later, used by socket.io 3.x and 4.x. The
    /// server sends the pings; payloads use a record separator.
    V4 = 4,
}

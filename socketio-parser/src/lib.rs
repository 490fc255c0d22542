//! Sans-IO codec for Socket.IO packets, protocol revisions 5 (socket.io
//! 3.x and 4.x) and 4 (socket.io 2.x).
//!
//! This crate turns engine.io messages into [`Packet`]s and back. It does no
//! I/O and knows nothing of sessions, transports or time: the server layers
//! feed it the messages they receive and send the messages it returns.
//!
//! # Layout
//! - [`Packet`]: the packet table (CONNECT, DISCONNECT, EVENT, ACK,
//!   CONNECT_ERROR, BINARY_EVENT, BINARY_ACK), and [`ProtocolVersion`].
//! - [`Value`]: packet data, JSON with binary nodes; [`to_value`] and
//!   [`from_value`] convert to and from your own serde types.
//! - [`Parser`] and [`Decode`]: a wire format, and one connection's decoder.
//!   [`JsonParser`] is the default; [`MsgPackParser`] (feature `msgpack`)
//!   matches `socket.io-msgpack-parser`.
//! - [`Error`]: what decoding or converting can fail with.
//!
//! # Example
//! ```
//! use bytes::Bytes;
//! use engineio_protocol::Message;
//! use socketio_parser::{JsonParser, Packet, Parser, ProtocolVersion, Value};
//!
//! let parser = JsonParser::new(ProtocolVersion::V5);
//!
//! // An event with binary data: one text message, then the attachment.
//! let packet = Packet::event("/chat", "file", vec![Value::Binary(Bytes::from_static(b"\x01\x02"))], Some(7));
//! let encoded = parser.encode(&packet);
//! assert_eq!(encoded.head, Message::Text(r#"51-/chat,7["file",{"_placeholder":true,"num":0}]"#.into()));
//!
//! // Decoding is a state machine: the packet is done with its last attachment.
//! let mut decoder = parser.decoder();
//! assert_eq!(decoder.handle_message(encoded.head.clone())?, None);
//! assert_eq!(decoder.handle_message(Message::Binary(Bytes::from_static(b"\x01\x02")))?, Some(packet));
//! # Ok::<(), socketio_parser::Error>(())
//! ```

mod error;
mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
mod packet;
mod parser;
mod validate;
pub mod value;

pub use error::Error;
pub use json::{JsonDecoder, JsonParser, DEFAULT_MAX_ATTACHMENTS};
#[cfg(feature = "msgpack")]
pub use msgpack::{decode_value as decode_msgpack, encode_value as encode_msgpack, MsgPackParser};
pub use packet::{Packet, ProtocolVersion, DEFAULT_NAMESPACE, RESERVED_EVENTS};
pub use parser::{Decode, Encoded, Parser};
pub use value::{from_value, to_value, JsDate, Value};

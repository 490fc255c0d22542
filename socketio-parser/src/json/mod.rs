//! The default wire format: a text message with the packet in JSON, then
//! one binary message per attachment (socket.io-parser 4.x for protocol v5,
//! and the 3.x line of socket.io 2 for protocol v4).

mod attachments;
mod read;
mod write;

use bytes::{BufMut, Bytes};
use engineio_protocol::{Message, Str};

use crate::parser::{Decode, Encoded, Parser};
use crate::{Error, Packet, ProtocolVersion, Value};

use read::{read_text, Header};
use write::{write_u64, write_value};

/// The default number of attachments one packet may announce.
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// The JSON wire format, for one protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonParser {
    version: ProtocolVersion,
    max_attachments: usize,
}

impl JsonParser {
    /// The parser for `version`, accepting [`DEFAULT_MAX_ATTACHMENTS`].
    pub fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
        }
    }

    /// Sets how many attachments one packet may announce; a packet that
    /// announces more is refused with [`Error::TooManyAttachments`] before
    /// any of them is buffered.
    pub fn max_attachments(mut self, max: usize) -> Self {
        self.max_attachments = max;
        self
    }

    /// The protocol version this parser speaks.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Encodes `packet` into `out` (the text form) and pushes its binary
    /// attachments onto `attachments`.
    pub fn encode_into<B: BufMut>(
        &self,
        packet: &Packet,
        out: &mut B,
        attachments: &mut Vec<Bytes>,
    ) {
        let (data, id): (Option<&Value>, Option<u64>) = match packet {
            Packet::Connect { data, .. } => (data.as_ref(), None),
            Packet::Disconnect { .. } => (None, None),
            Packet::ConnectError { data, .. } => (Some(data), None),
            Packet::Event { .. }
            | Packet::Ack { .. }
            | Packet::BinaryEvent { .. }
            | Packet::BinaryAck { .. } => (None, packet.id()),
        };
        let args = match packet {
            Packet::Event { data, .. }
            | Packet::Ack { data, .. }
            | Packet::BinaryEvent { data, .. }
            | Packet::BinaryAck { data, .. } => Some(data.as_slice()),
            _ => None,
        };

        // An EVENT or ACK holding binary goes as BINARY_EVENT or BINARY_ACK,
        // as socket.io-parser's encoder does.
        let binary_count = args.map_or(0, |a| a.iter().map(count_binary).sum());
        let type_id = match packet.type_id() {
            2 if binary_count > 0 => 5,
            3 if binary_count > 0 => 6,
            t => t,
        };
        out.put_u8(b'0' + type_id);
        if type_id == 5 || type_id == 6 {
            write_u64(binary_count as u64, out);
            out.put_u8(b'-');
        }
        let nsp = packet.nsp();
        let v4_query = match (self.version, packet) {
            (
                ProtocolVersion::V4,
                Packet::Connect {
                    data: Some(Value::Object(q)),
                    ..
                },
            ) => Some(q),
            _ => None,
        };
        if nsp.as_str() != "/" || v4_query.is_some() {
            out.put_slice(nsp.as_bytes());
            if let Some(query) = v4_query {
                write_query(query, out);
            }
            out.put_u8(b',');
        }
        if let Some(id) = id {
            write_u64(id, out);
        }
        if let Some(args) = args {
            out.put_u8(b'[');
            for (i, v) in args.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_value(v, out, Some(&mut *attachments));
            }
            out.put_u8(b']');
        } else if let (Some(data), None) = (data, v4_query) {
            write_value(data, out, None);
        }
    }
}

impl Default for JsonParser {
    fn default() -> Self {
        Self::new(ProtocolVersion::V5)
    }
}

impl Parser for JsonParser {
    fn encode(&self, packet: &Packet) -> Encoded {
        let mut text = Vec::with_capacity(64);
        let mut attachments = Vec::new();
        self.encode_into(packet, &mut text, &mut attachments);
        // Everything written is ASCII, JSON of `String`s, or a namespace `Str`.
        let text = Str::from_utf8(text.into()).unwrap_or_default();
        Encoded {
            head: Message::Text(text),
            attachments,
        }
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::new(JsonDecoder::new(*self))
    }
}

fn count_binary(v: &Value) -> usize {
    match v {
        Value::Binary(_) => 1,
        Value::Array(items) => items.iter().map(count_binary).sum(),
        Value::Object(entries) => entries.iter().map(|(_, v)| count_binary(v)).sum(),
        _ => 0,
    }
}

/// Protocol v4 CONNECT: the auth object as a query string, which is how a
/// socket.io 2.x client sends it.
fn write_query<B: BufMut>(query: &[(String, Value)], out: &mut B) {
    if query.is_empty() {
        // An empty query is still a query: `0/chat?` reads back as `{}`,
        // where `0/chat` would read back as no data at all.
        out.put_u8(b'?');
    }
    for (i, (key, value)) in query.iter().enumerate() {
        out.put_u8(if i == 0 { b'?' } else { b'&' });
        put_uri_component(key, out);
        out.put_u8(b'=');
        match value {
            Value::String(s) => put_uri_component(s, out),
            other => {
                let mut text = Vec::new();
                write_value(other, &mut text, None);
                put_uri_component(&String::from_utf8_lossy(&text), out);
            }
        }
    }
}

/// JavaScript's `encodeURIComponent`.
fn put_uri_component<B: BufMut>(s: &str, out: &mut B) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.put_u8(b);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.put_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
    }
}

/// The decoder of the JSON format: idle, or collecting the attachments of a
/// binary packet.
#[derive(Debug)]
pub struct JsonDecoder {
    parser: JsonParser,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for a text message.
    Idle,
    /// A binary packet was read; `buffers` holds the attachments so far.
    Collecting { header: Header, buffers: Vec<Bytes> },
}

impl JsonDecoder {
    /// A decoder with the version and limits of `parser`.
    pub fn new(parser: JsonParser) -> Self {
        Self {
            parser,
            state: State::Idle,
        }
    }

    /// Whether the decoder is waiting for attachments.
    pub fn is_collecting(&self) -> bool {
        matches!(self.state, State::Collecting { .. })
    }

    /// Takes a text message.
    pub fn handle_text(&mut self, text: &Str) -> Result<Option<Packet>, Error> {
        if let State::Collecting { .. } = std::mem::replace(&mut self.state, State::Idle) {
            return Err(Error::UnexpectedText);
        }
        let header = read_text(text, self.parser.version, self.parser.max_attachments)?;
        if header.attachments == 0 {
            return header.into_packet(&[]).map(Some);
        }
        // The count comes from the peer: let the vector grow with what
        // actually arrives instead of reserving what was announced.
        let buffers = Vec::new();
        self.state = State::Collecting { header, buffers };
        Ok(None)
    }

    /// Takes a binary message: the next attachment.
    pub fn handle_binary(&mut self, data: Bytes) -> Result<Option<Packet>, Error> {
        let State::Collecting {
            header,
            mut buffers,
        } = std::mem::replace(&mut self.state, State::Idle)
        else {
            return Err(Error::UnexpectedBinary);
        };
        buffers.push(data);
        if buffers.len() < header.attachments {
            self.state = State::Collecting { header, buffers };
            return Ok(None);
        }
        header.into_packet(&buffers).map(Some)
    }
}

impl Decode for JsonDecoder {
    fn handle_message(&mut self, message: Message) -> Result<Option<Packet>, Error> {
        match message {
            Message::Text(text) => self.handle_text(&text),
            Message::Binary(data) => self.handle_binary(data),
        }
    }
}

#[cfg(test)]
mod tests;

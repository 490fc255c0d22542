//! Polling payloads: several packets in one HTTP body.
//!
//! - v4 ("Payload encoding" in the v4 protocol): the text forms of the
//!   packets joined by the record separator `\x1e`; binary as `b<base64>`.
//! - v3 string payloads: each packet as `<length>:<packet>`, where the
//!   length counts UTF-16 code units as JavaScript's `String.length` does;
//!   binary as `b4<base64>`. Used by clients that cannot receive binary
//!   (the `b64` query parameter), and always for client requests sent as text.
//! - v3 binary payloads (XHR2 clients): each packet as a marker byte (`0`
//!   text, `1` binary), the decimal digits of its length as bytes 0-9, `255`,
//!   then the packet: UTF-8 text, or the type byte followed by the data.

use bytes::{BufMut, Bytes, BytesMut};

use crate::packet::Message;
use crate::{Error, Packet, ProtocolVersion, Str};

/// The v4 record separator.
pub const SEPARATOR: u8 = 0x1e;

/// The body layout of a polling payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadFormat {
    /// Protocol v4: records separated by `\x1e`.
    V4,
    /// Protocol v3, text: `<length>:<packet>` records.
    V3String,
    /// Protocol v3, binary (XHR2): length-prefixed records with markers.
    V3Binary,
}

impl PayloadFormat {
    /// The format of a response for a client of `version`, holding `packets`:
    /// v3 clients that accept binary (no `b64` query parameter) get a binary
    /// payload when a packet has binary data, as Node's engine.io does.
    pub fn for_response(
        version: ProtocolVersion,
        supports_binary: bool,
        packets: &[Packet],
    ) -> Self {
        match version {
            ProtocolVersion::V4 => Self::V4,
            ProtocolVersion::V3 => {
                let has_binary = packets
                    .iter()
                    .any(|p| matches!(p, Packet::Message(Message::Binary(_))));
                if supports_binary && has_binary {
                    Self::V3Binary
                } else {
                    Self::V3String
                }
            }
        }
    }

    /// The format of a request body of `version` with the given Content-Type.
    pub fn for_request(version: ProtocolVersion, content_type: Option<&str>) -> Self {
        match version {
            ProtocolVersion::V4 => Self::V4,
            ProtocolVersion::V3
                if content_type.is_some_and(|t| t.starts_with("application/octet-stream")) =>
            {
                Self::V3Binary
            }
            ProtocolVersion::V3 => Self::V3String,
        }
    }

    /// The Content-Type of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::V4 | Self::V3String => "text/plain; charset=UTF-8",
            Self::V3Binary => "application/octet-stream",
        }
    }

    /// The protocol version this format belongs to.
    pub fn version(self) -> ProtocolVersion {
        match self {
            Self::V4 => ProtocolVersion::V4,
            Self::V3String | Self::V3Binary => ProtocolVersion::V3,
        }
    }
}

/// Encodes `packets` as one polling payload into `out`.
pub fn encode_payload(packets: &[Packet], format: PayloadFormat, out: &mut BytesMut) {
    match format {
        PayloadFormat::V4 => {
            for (i, packet) in packets.iter().enumerate() {
                if i > 0 {
                    out.put_u8(SEPARATOR);
                }
                packet.encode_text(ProtocolVersion::V4, out);
            }
        }
        PayloadFormat::V3String => {
            if packets.is_empty() {
                // What engine.io-parser 2.x sends for an empty payload.
                out.put_slice(b"0:");
            }
            let mut scratch = BytesMut::new();
            for packet in packets {
                scratch.clear();
                packet.encode_text(ProtocolVersion::V3, &mut scratch);
                // `encode_text` writes UTF-8 only.
                let len: usize =
                    std::str::from_utf8(&scratch).map_or(0, |s| s.encode_utf16().count());
                put_decimal(len, out);
                out.put_u8(b':');
                out.put_slice(&scratch);
            }
        }
        PayloadFormat::V3Binary => {
            let mut scratch = BytesMut::new();
            for packet in packets {
                match packet {
                    Packet::Message(Message::Binary(data)) => {
                        out.put_u8(1);
                        put_digit_bytes(data.len() + 1, out);
                        out.put_u8(0xff);
                        out.put_u8(4);
                        out.put_slice(data);
                    }
                    _ => {
                        scratch.clear();
                        packet.encode_text(ProtocolVersion::V3, &mut scratch);
                        out.put_u8(0);
                        put_digit_bytes(scratch.len(), out);
                        out.put_u8(0xff);
                        out.put_slice(&scratch);
                    }
                }
            }
        }
    }
}

/// Decodes a whole polling payload.
///
/// The body is checked once (UTF-8 for the text formats) and each packet is
/// a slice of it. The first malformed packet makes the whole payload an
/// error, as in the reference parser.
pub fn decode_payload(body: Bytes, format: PayloadFormat) -> Result<Vec<Packet>, Error> {
    if body.is_empty() {
        return Err(Error::EmptyPayload);
    }
    match format {
        PayloadFormat::V4 => {
            let text = Str::from_utf8(body).map_err(|_| Error::InvalidUtf8)?;
            text.split(SEPARATOR as char)
                .map(|record| Packet::decode_text(text.slice_ref(record), ProtocolVersion::V4))
                .collect()
        }
        PayloadFormat::V3String => decode_v3_string(body),
        PayloadFormat::V3Binary => decode_v3_binary(body),
    }
}

fn decode_v3_string(body: Bytes) -> Result<Vec<Packet>, Error> {
    let text = Str::from_utf8(body).map_err(|_| Error::InvalidUtf8)?;
    let mut packets = Vec::new();
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let colon = rest.find(':').ok_or(Error::InvalidLength)?;
        let units = parse_decimal(rest[..colon].bytes().map(|b| b.wrapping_sub(b'0')))?;
        rest = &rest[colon + 1..];
        // Walk `units` UTF-16 code units forward; a record may not end in
        // the middle of a character.
        let mut counted = 0;
        let mut end = 0;
        for c in rest.chars() {
            if counted >= units {
                break;
            }
            counted += c.len_utf16();
            end += c.len_utf8();
        }
        if counted != units {
            return Err(Error::InvalidLength);
        }
        let record = &rest[..end];
        rest = &rest[end..];
        // engine.io-parser 2.x skips empty records.
        if !record.is_empty() {
            packets.push(Packet::decode_text(
                text.slice_ref(record),
                ProtocolVersion::V3,
            )?);
        }
    }
    Ok(packets)
}

fn decode_v3_binary(mut body: Bytes) -> Result<Vec<Packet>, Error> {
    let mut packets = Vec::new();
    while !body.is_empty() {
        let is_text = match body[0] {
            0 => true,
            1 => false,
            _ => return Err(Error::InvalidLength),
        };
        let end = body
            .iter()
            .position(|&b| b == 0xff)
            .ok_or(Error::InvalidLength)?;
        let len = parse_decimal(body[1..end].iter().copied())?;
        let record_end = end
            .checked_add(1 + len)
            .filter(|&e| e <= body.len())
            .ok_or(Error::InvalidLength)?;
        let record = body.slice(end + 1..record_end);
        body = body.slice(record_end..);
        let packet = if is_text {
            let text = Str::from_utf8(record).map_err(|_| Error::InvalidUtf8)?;
            Packet::decode_text(text, ProtocolVersion::V3)?
        } else {
            Packet::decode_binary(record, ProtocolVersion::V3)?
        };
        packets.push(packet);
    }
    Ok(packets)
}

/// Parses decimal digits given as values 0-9; anything else, no digits, or
/// a number that overflows is an [`Error::InvalidLength`].
fn parse_decimal(digits: impl Iterator<Item = u8>) -> Result<usize, Error> {
    let mut value: usize = 0;
    let mut any = false;
    for d in digits {
        if d > 9 {
            return Err(Error::InvalidLength);
        }
        any = true;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(usize::from(d)))
            .ok_or(Error::InvalidLength)?;
    }
    if any {
        Ok(value)
    } else {
        Err(Error::InvalidLength)
    }
}

fn put_decimal<B: BufMut>(n: usize, out: &mut B) {
    out.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// The decimal digits of `n` as byte values 0-9 (the v3 binary length).
fn put_digit_bytes<B: BufMut>(n: usize, out: &mut B) {
    for d in itoa::Buffer::new().format(n).bytes() {
        out.put_u8(d - b'0');
    }
}

/// Collects a request body chunk by chunk, refusing it as soon as it grows
/// past the limit, so an oversized body is never buffered whole.
#[derive(Debug)]
pub struct BodyBuffer {
    buf: BytesMut,
    limit: usize,
}

impl BodyBuffer {
    /// A buffer that accepts at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            limit,
        }
    }

    /// Appends a chunk of the body; fails with [`Error::PayloadTooLarge`]
    /// once the total exceeds the limit.
    pub fn handle_chunk(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.buf.len().saturating_add(chunk.len()) > self.limit {
            self.buf = BytesMut::new();
            return Err(Error::PayloadTooLarge { limit: self.limit });
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub fn finish(self) -> Bytes {
        self.buf.freeze()
    }
}

#[cfg(test)]
mod tests;

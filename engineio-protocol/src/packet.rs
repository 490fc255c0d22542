//! One Engine.IO packet: the packet table of the protocol, and the way a
//! packet travels alone (a WebSocket frame, or one record of a payload).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::{BufMut, Bytes};

use crate::{Error, OpenPacket, ProtocolVersion, Str};

/// The data of a `message` packet: text or binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (a WebSocket text frame, or a plain payload record).
    Text(Str),
    /// A binary message (a WebSocket binary frame, or base64 in a text payload).
    Binary(Bytes),
}

impl Message {
    /// The length of the message data in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) => b.len(),
        }
    }

    /// Whether the message has no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An Engine.IO packet, one variant per row of the protocol's packet table.
///
/// | type | id | used |
/// |---|---|---|
/// | open | 0 | handshake |
/// | close | 1 | close the transport |
/// | ping | 2 | heartbeat (and `probe` during upgrade) |
/// | pong | 3 | heartbeat (and `probe` during upgrade) |
/// | message | 4 | send data |
/// | upgrade | 5 | upgrade |
/// | noop | 6 | upgrade |
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the handshake, sent by the server.
    Open(OpenPacket),
    /// `1`: ask the other side to close the transport.
    Close,
    /// `2`: heartbeat request. The text is empty, or `probe` while upgrading.
    Ping(Str),
    /// `3`: heartbeat answer. The text is empty, or `probe` while upgrading.
    Pong(Str),
    /// `4`: application data.
    Message(Message),
    /// `5`: the client switches to the new transport.
    Upgrade,
    /// `6`: nothing; releases a pending long-polling request during upgrade.
    Noop,
}

/// The payload of the ping and pong packets that test a new transport.
pub const PROBE: &str = "probe";

impl Packet {
    /// A text message packet.
    pub fn text(text: impl Into<Str>) -> Self {
        Self::Message(Message::Text(text.into()))
    }

    /// A binary message packet.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Message(Message::Binary(data.into()))
    }

    /// The packet type digit of the protocol's packet table.
    pub fn type_id(&self) -> u8 {
        match self {
            Self::Open(_) => b'0',
            Self::Close => b'1',
            Self::Ping(_) => b'2',
            Self::Pong(_) => b'3',
            Self::Message(_) => b'4',
            Self::Upgrade => b'5',
            Self::Noop => b'6',
        }
    }

    /// Whether this is a `ping` or `pong` with the `probe` payload.
    pub fn is_probe(&self) -> bool {
        matches!(self, Self::Ping(p) | Self::Pong(p) if p == PROBE)
    }

    /// Decodes a packet from its text form: a WebSocket text frame, or one
    /// record of a polling payload.
    ///
    /// Text starting with `b` is a base64 binary message: `b<base64>` in v4,
    /// `b4<base64>` in v3.
    pub fn decode_text(text: Str, version: ProtocolVersion) -> Result<Self, Error> {
        let type_id = match text.as_bytes().first() {
            None => return Err(Error::EmptyPacket),
            Some(&b) if !b.is_ascii() => return Err(Error::UnknownPacketType(b)),
            Some(&b) => b,
        };
        // The type is ASCII, so index 1 is a char boundary.
        let rest = text.slice_ref(&text[1..]);
        Ok(match type_id {
            b'0' => Self::Open(
                serde_json::from_str(&rest).map_err(|e| Error::InvalidOpenPacket(e.to_string()))?,
            ),
            b'1' => Self::Close,
            b'2' => Self::Ping(rest),
            b'3' => Self::Pong(rest),
            b'4' => Self::Message(Message::Text(rest)),
            b'5' => Self::Upgrade,
            b'6' => Self::Noop,
            b'b' => {
                let base64 = match version {
                    ProtocolVersion::V4 => rest.as_str(),
                    // engine.io v3 keeps the packet type after the `b`.
                    ProtocolVersion::V3 => match rest.as_bytes().first() {
                        Some(b'4') => &rest[1..],
                        Some(_) => return Err(Error::BinaryNotMessage),
                        None => return Err(Error::EmptyPacket),
                    },
                };
                let data = BASE64.decode(base64).map_err(|_| Error::InvalidBase64)?;
                Self::binary(data)
            }
            other => return Err(Error::UnknownPacketType(other)),
        })
    }

    /// Decodes a WebSocket binary frame.
    ///
    /// In v4 the whole frame is the message data. In v3 the first byte is
    /// the packet type, which must be `4` (message).
    pub fn decode_binary(data: Bytes, version: ProtocolVersion) -> Result<Self, Error> {
        match version {
            ProtocolVersion::V4 => Ok(Self::binary(data)),
            ProtocolVersion::V3 => match data.first() {
                Some(4) => Ok(Self::binary(data.slice(1..))),
                Some(_) => Err(Error::BinaryNotMessage),
                None => Err(Error::EmptyPacket),
            },
        }
    }

    /// Decodes a WebSocket frame of either kind.
    pub fn decode_frame(frame: Message, version: ProtocolVersion) -> Result<Self, Error> {
        match frame {
            Message::Text(text) => Self::decode_text(text, version),
            Message::Binary(data) => Self::decode_binary(data, version),
        }
    }

    /// Writes the text form of this packet: the type digit and its data,
    /// binary data as base64 (`b<base64>` in v4, `b4<base64>` in v3).
    pub fn encode_text<B: BufMut>(&self, version: ProtocolVersion, out: &mut B) {
        match self {
            Self::Open(open) => {
                out.put_u8(b'0');
                // Serializing a struct of strings and integers cannot fail.
                let _ = serde_json::to_writer(out.writer(), open);
            }
            Self::Ping(data) | Self::Pong(data) => {
                out.put_u8(self.type_id());
                out.put_slice(data.as_bytes());
            }
            Self::Message(Message::Text(text)) => {
                out.put_u8(b'4');
                out.put_slice(text.as_bytes());
            }
            Self::Message(Message::Binary(data)) => {
                out.put_u8(b'b');
                if version == ProtocolVersion::V3 {
                    out.put_u8(b'4');
                }
                put_base64(data, out);
            }
            Self::Close | Self::Upgrade | Self::Noop => out.put_u8(self.type_id()),
        }
    }

    /// The WebSocket frame that carries this packet.
    ///
    /// A v4 binary message is its data as is, shared rather than copied; a
    /// v3 binary message gets the type byte `4` in front.
    pub fn to_frame(&self, version: ProtocolVersion) -> Message {
        match (self, version) {
            (Self::Message(Message::Binary(data)), ProtocolVersion::V4) => {
                Message::Binary(data.clone())
            }
            (Self::Message(Message::Binary(data)), ProtocolVersion::V3) => {
                let mut framed = Vec::with_capacity(data.len() + 1);
                framed.push(4);
                framed.extend_from_slice(data);
                Message::Binary(framed.into())
            }
            _ => {
                let mut text = Vec::with_capacity(self.text_len_hint());
                self.encode_text(version, &mut text);
                // Every text form is ASCII or copied from a `Str` or JSON.
                Message::Text(Str::from_utf8(text.into()).unwrap_or_default())
            }
        }
    }

    fn text_len_hint(&self) -> usize {
        match self {
            Self::Message(m) => 1 + m.len(),
            Self::Ping(d) | Self::Pong(d) => 1 + d.len(),
            Self::Open(_) => 128,
            _ => 1,
        }
    }
}

/// Writes `data` as standard base64 (with padding) into `out`.
pub(crate) fn put_base64<B: BufMut>(data: &[u8], out: &mut B) {
    let mut chunk = [0u8; 1024];
    // 768 input bytes become exactly 1024 base64 characters, with no padding
    // except after the last chunk.
    for part in data.chunks(768) {
        let n = BASE64.encode_slice(part, &mut chunk).unwrap_or(0);
        out.put_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtocolVersion::{V3, V4};

    fn text(s: &str, v: ProtocolVersion) -> Packet {
        Packet::decode_text(Str::from(s), v).unwrap()
    }

    fn encoded(p: &Packet, v: ProtocolVersion) -> String {
        let mut out = Vec::new();
        p.encode_text(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// The examples of the protocol's "Packet encoding" section.
    #[test]
    fn spec_examples_decode() {
        assert_eq!(
            text(
                r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#,
                V4
            ),
            Packet::Open(OpenPacket {
                sid: "lv_VI97HAXpY6yYWAAAC".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: 25000,
                ping_timeout: 5000,
                max_payload: Some(1_000_000),
            })
        );
        assert_eq!(text("4hello", V4), Packet::text("hello"));
        assert_eq!(text("2", V4), Packet::Ping(Str::new()));
        assert_eq!(text("3probe", V4), Packet::Pong(Str::from(PROBE)));
        assert_eq!(text("1", V4), Packet::Close);
        assert_eq!(text("5", V4), Packet::Upgrade);
        assert_eq!(text("6", V4), Packet::Noop);
        assert_eq!(text("bAQIDBA==", V4), Packet::binary(vec![1, 2, 3, 4]));
        assert_eq!(text("b4AQIDBA==", V3), Packet::binary(vec![1, 2, 3, 4]));
    }

    #[test]
    fn binary_frames_carry_a_type_byte_only_in_v3() {
        let data = Bytes::from_static(&[1, 2, 3, 4]);
        assert_eq!(
            Packet::decode_binary(data.clone(), V4).unwrap(),
            Packet::binary(data.clone())
        );
        assert_eq!(
            Packet::decode_binary(Bytes::from_static(&[4, 1, 2, 3, 4]), V3).unwrap(),
            Packet::binary(data.clone())
        );
        assert_eq!(
            Packet::binary(data.clone()).to_frame(V3),
            Message::Binary(Bytes::from_static(&[4, 1, 2, 3, 4]))
        );
        assert_eq!(
            Packet::binary(data.clone()).to_frame(V4),
            Message::Binary(data)
        );
        assert_eq!(
            Packet::decode_binary(Bytes::from_static(&[2, 1]), V3),
            Err(Error::BinaryNotMessage)
        );
    }

    #[test]
    fn unknown_types_and_bad_base64_are_errors() {
        assert_eq!(Packet::decode_text(Str::new(), V4), Err(Error::EmptyPacket));
        assert_eq!(
            Packet::decode_text(Str::from("7"), V4),
            Err(Error::UnknownPacketType(b'7'))
        );
        assert_eq!(
            Packet::decode_text(Str::from("x"), V4),
            Err(Error::UnknownPacketType(b'x'))
        );
        assert_eq!(
            Packet::decode_text(Str::from("b!!"), V4),
            Err(Error::InvalidBase64)
        );
        assert_eq!(
            Packet::decode_text(Str::from("b2AQ=="), V3),
            Err(Error::BinaryNotMessage)
        );
        assert!(matches!(
            Packet::decode_text(Str::from("0{}"), V4),
            Err(Error::InvalidOpenPacket(_))
        ));
    }

    #[test]
    fn encode_then_decode_is_the_identity() {
        let packets = [
            Packet::Close,
            Packet::Ping(Str::from(PROBE)),
            Packet::Pong(Str::new()),
            Packet::text("héllo €"),
            Packet::text(""),
            Packet::binary(vec![0u8; 2000]),
            Packet::binary(Vec::new()),
            Packet::Upgrade,
            Packet::Noop,
        ];
        for v in [V3, V4] {
            for p in &packets {
                assert_eq!(&text(&encoded(p, v), v), p, "{p:?} in {v:?}");
                assert_eq!(&Packet::decode_frame(p.to_frame(v), v).unwrap(), p);
            }
        }
    }

    #[test]
    fn open_packet_has_max_payload_only_when_set() {
        let open = OpenPacket {
            sid: "abc".into(),
            upgrades: vec![],
            ping_interval: 25000,
            ping_timeout: 20000,
            max_payload: None,
        };
        assert_eq!(
            encoded(&Packet::Open(open), V3),
            r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#
        );
    }
}

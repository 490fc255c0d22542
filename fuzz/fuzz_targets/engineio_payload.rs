//! Fuzzes Engine.IO polling payloads: `decode_payload` in the formats v4, v3 string and v3 binary.
//!
//! Input: one format byte, then the body. Format byte modulo 3: `0` (0x30)
//! is v4, `1` is v3 string, `2` is v3 binary.
//!
//! Checked on every successful decode:
//! - v4: one packet per `\x1e`-separated record;
//! - the packets, encoded with `encode_payload` in each of the three formats
//!   and decoded in that format, come back equal. v4 is skipped when it
//!   cannot carry them: no packets (an empty body is an error), or a text
//!   (message, ping or pong) holding the separator `\x1e` (possible when the
//!   packets came from a v3 body). v3 binary is skipped for no packets
//!   (its encoding is the empty body).
#![no_main]

use bytes::{Bytes, BytesMut};
use engineio_protocol::payload::SEPARATOR;
use engineio_protocol::{decode_payload, encode_payload, Message, Packet, PayloadFormat};
use libfuzzer_sys::fuzz_target;

const FORMATS: [PayloadFormat; 3] = [
    PayloadFormat::V4,
    PayloadFormat::V3String,
    PayloadFormat::V3Binary,
];

fn has_separator(packet: &Packet) -> bool {
    match packet {
        Packet::Message(Message::Text(s)) | Packet::Ping(s) | Packet::Pong(s) => {
            s.as_bytes().contains(&SEPARATOR)
        }
        _ => false,
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, body)) = input.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(mode % 3)];
    let Ok(packets) = decode_payload(Bytes::copy_from_slice(body), format) else {
        return;
    };
    if format == PayloadFormat::V4 {
        let records = body.split(|&b| b == SEPARATOR).count();
        assert_eq!(packets.len(), records, "one packet per v4 record");
    }
    for target in FORMATS {
        let skip = match target {
            PayloadFormat::V4 => packets.is_empty() || packets.iter().any(has_separator),
            PayloadFormat::V3Binary => packets.is_empty(),
            PayloadFormat::V3String => false,
        };
        if skip {
            continue;
        }
        let mut out = BytesMut::new();
        encode_payload(&packets, target, &mut out);
        let encoded = out.freeze();
        match decode_payload(encoded.clone(), target) {
            Ok(again) => assert_eq!(
                again, packets,
                "{format:?} body re-encoded as {target:?}: {encoded:?}"
            ),
            Err(e) => panic!("{packets:?} encoded as {target:?} ({encoded:?}) fails: {e}"),
        }
    }
});

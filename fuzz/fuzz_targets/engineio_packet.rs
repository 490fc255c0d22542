//! Fuzzes one Engine.IO packet: `Packet::decode_text` and `Packet::decode_binary`, both protocol versions.
//!
//! Input: one mode byte, then the frame. Mode even (`0`): a text frame (the
//! rest must be UTF-8); mode odd (`1`): a binary frame. Every frame is
//! decoded as protocol v3 and as v4.
//!
//! Checked on every successful decode:
//! - `encode_text` then `decode_text` (same version) gives the same packet;
//! - `to_frame` then `decode_frame` (same version) gives the same packet;
//! - text frames: the packet type is the first byte (`b` means message);
//!   frames that do not start with `b` decode the same in v3 and v4;
//! - binary frames: `to_frame` gives back exactly the frame decoded.
#![no_main]

use bytes::Bytes;
use engineio_protocol::{Message, Packet, ProtocolVersion, Str};
use libfuzzer_sys::fuzz_target;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3, ProtocolVersion::V4];

fn check_round_trips(packet: &Packet, version: ProtocolVersion) {
    let mut text = Vec::new();
    packet.encode_text(version, &mut text);
    let text = Str::from_utf8(Bytes::from(text)).expect("encode_text writes UTF-8");
    let again = Packet::decode_text(text.clone(), version)
        .unwrap_or_else(|e| panic!("{packet:?} encoded as {text:?} ({version:?}) fails: {e}"));
    assert_eq!(&again, packet, "encode_text/decode_text in {version:?}");

    let frame = packet.to_frame(version);
    let again = Packet::decode_frame(frame.clone(), version)
        .unwrap_or_else(|e| panic!("{packet:?} as frame {frame:?} ({version:?}) fails: {e}"));
    assert_eq!(&again, packet, "to_frame/decode_frame in {version:?}");
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let data = Bytes::copy_from_slice(data);
    if mode & 1 == 0 {
        let Ok(text) = Str::from_utf8(data) else {
            return;
        };
        let results = VERSIONS.map(|v| Packet::decode_text(text.clone(), v));
        if text.as_bytes().first() != Some(&b'b') {
            assert_eq!(results[0], results[1], "v3 and v4 differ on {text:?}");
        }
        for (result, version) in results.iter().zip(VERSIONS) {
            if let Ok(packet) = result {
                let first = text.as_bytes()[0];
                let expected = if first == b'b' { b'4' } else { first };
                assert_eq!(packet.type_id(), expected, "type of {text:?}");
                check_round_trips(packet, version);
            }
        }
    } else {
        for version in VERSIONS {
            if let Ok(packet) = Packet::decode_binary(data.clone(), version) {
                assert!(matches!(packet, Packet::Message(Message::Binary(_))));
                assert_eq!(
                    packet.to_frame(version),
                    Message::Binary(data.clone()),
                    "binary frame in {version:?}"
                );
                check_round_trips(&packet, version);
            }
        }
    }
});

//! engine.io codec interop: for every shared case, our encoder writes the
//! bytes of the npm `engine.io-parser` (5.x for protocol v4, 2.x for v3), and
//! our decoder reads theirs back into the same packets.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use bytes::BytesMut;
use engineio_protocol::{
    decode_payload, encode_payload, Message, OpenPacket, Packet, PayloadFormat, ProtocolVersion,
    Str,
};
use interop::{bin, frame, run_node_script};
use serde_json::Value as Json;

fn packet(json: &Json) -> Packet {
    let data = json["data"].as_str();
    let text = || Str::from(data.unwrap_or(""));
    match json["type"].as_str() {
        Some("open") => {
            Packet::Open(serde_json::from_str::<OpenPacket>(data.unwrap_or("")).unwrap())
        }
        Some("close") => Packet::Close,
        Some("ping") => Packet::Ping(text()),
        Some("pong") => Packet::Pong(text()),
        Some("message") => match json["bin"].as_str() {
            Some(b) => Packet::binary(bin(b)),
            None => Packet::Message(Message::Text(text())),
        },
        Some("upgrade") => Packet::Upgrade,
        Some("noop") => Packet::Noop,
        other => panic!("unknown packet type {other:?}"),
    }
}

fn text(p: &Packet, version: ProtocolVersion) -> String {
    let mut out = Vec::new();
    p.encode_text(version, &mut out);
    String::from_utf8(out).unwrap()
}

fn payload(packets: &[Packet], format: PayloadFormat) -> BytesMut {
    let mut out = BytesMut::new();
    encode_payload(packets, format, &mut out);
    out
}

#[test]
fn engineio_parser_bytes_match_both_ways() {
    let cases = interop::cases();
    let node = run_node_script("codec.js");
    let (cases, node) = (
        cases["engineio"].as_array().unwrap(),
        node["engineio"].as_array().unwrap(),
    );
    assert_eq!(cases.len(), node.len());
    for (case, js) in cases.iter().zip(node) {
        let name = case["name"].as_str().unwrap();
        let packets: Vec<Packet> = case["packets"]
            .as_array()
            .unwrap()
            .iter()
            .map(packet)
            .collect();

        for (version, frames, texts) in [
            (ProtocolVersion::V4, &js["v4_frames"], &js["v4_texts"]),
            (ProtocolVersion::V3, &js["v3_frames"], &js["v3_texts"]),
        ] {
            for (i, p) in packets.iter().enumerate() {
                let theirs = frame(&frames[i]);
                assert_eq!(
                    p.to_frame(version),
                    theirs,
                    "{name}: WebSocket frame of {p:?} in {version:?}"
                );
                assert_eq!(
                    &Packet::decode_frame(theirs, version).unwrap(),
                    p,
                    "{name}: reading their frame"
                );
                let theirs = texts[i].as_str().unwrap();
                assert_eq!(
                    text(p, version),
                    theirs,
                    "{name}: text form of {p:?} in {version:?}"
                );
                assert_eq!(
                    &Packet::decode_text(Str::from(theirs), version).unwrap(),
                    p,
                    "{name}: reading {theirs:?}"
                );
            }
        }

        let theirs = js["v4_payload"].as_str().unwrap();
        assert_eq!(
            &payload(&packets, PayloadFormat::V4)[..],
            theirs.as_bytes(),
            "{name}: v4 payload"
        );
        assert_eq!(
            decode_payload(theirs.as_bytes().to_vec().into(), PayloadFormat::V4).unwrap(),
            packets,
            "{name}"
        );

        let jsonp = engineio_protocol::jsonp::wrap(3, js["v4_payload"].as_str().unwrap());
        assert_eq!(
            jsonp,
            js["v4_jsonp"].as_str().unwrap(),
            "{name}: v4 JSONP response"
        );
        let jsonp = engineio_protocol::jsonp::wrap(3, js["v3_string_payload"].as_str().unwrap());
        assert_eq!(
            jsonp,
            js["v3_jsonp"].as_str().unwrap(),
            "{name}: v3 JSONP response"
        );

        let theirs = js["v3_string_payload"].as_str().unwrap();
        assert_eq!(
            &payload(&packets, PayloadFormat::V3String)[..],
            theirs.as_bytes(),
            "{name}: v3 string payload"
        );
        assert_eq!(
            decode_payload(theirs.as_bytes().to_vec().into(), PayloadFormat::V3String).unwrap(),
            packets,
            "{name}"
        );

        // engine.io 3 sends a binary payload only when there is binary to send.
        let format = PayloadFormat::for_response(ProtocolVersion::V3, true, &packets);
        let ours = payload(&packets, format).freeze();
        match frame(&js["v3_binary_payload"]) {
            Message::Binary(theirs) => {
                assert_eq!(format, PayloadFormat::V3Binary, "{name}");
                assert_eq!(ours, theirs, "{name}: v3 binary payload");
                assert_eq!(
                    decode_payload(theirs, PayloadFormat::V3Binary).unwrap(),
                    packets,
                    "{name}"
                );
            }
            Message::Text(theirs) => {
                assert_eq!(format, PayloadFormat::V3String, "{name}");
                assert_eq!(
                    &ours[..],
                    theirs.as_bytes(),
                    "{name}: v3 payload for a binary-capable client"
                );
            }
        }
    }
}

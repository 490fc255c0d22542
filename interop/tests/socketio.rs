//! socket.io codec interop: for every shared case, our parsers write the
//! messages of the npm `socket.io-parser` (4.x for protocol v5, 3.x for v4)
//! and `socket.io-msgpack-parser`, and read theirs back; and our decoder
//! refuses whatever socket.io-parser 4.x refuses.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use engineio_protocol::Message;
use interop::{frame, run_node_script, value};
use serde_json::Value as Json;
use socketio_parser::{JsonParser, MsgPackParser, Packet, Parser, ProtocolVersion, Value};

/// A case packet `{type, nsp, id, data}` as our [`Packet`].
fn packet(json: &Json) -> Packet {
    let nsp = json["nsp"].as_str().unwrap_or("/");
    let id = json["id"].as_u64();
    let data = json.get("data").map(value);
    let args = || match data.clone() {
        Some(Value::Array(items)) => items,
        other => panic!("not an array: {other:?}"),
    };
    match json["type"].as_u64().unwrap() {
        0 => Packet::Connect {
            nsp: nsp.into(),
            data,
        },
        1 => Packet::Disconnect { nsp: nsp.into() },
        2 | 5 => Packet::event(nsp, args()[0].as_str().unwrap(), args()[1..].to_vec(), id),
        3 | 6 => Packet::ack(nsp, id.unwrap(), args()),
        4 => Packet::ConnectError {
            nsp: nsp.into(),
            data: data.unwrap(),
        },
        t => panic!("unknown type {t}"),
    }
}

/// The packet without the binary/non-binary distinction, which only some
/// formats make.
fn plain(p: Packet) -> Packet {
    match p {
        Packet::BinaryEvent { nsp, id, data } => Packet::Event { nsp, id, data },
        Packet::BinaryAck { nsp, id, data } => Packet::Ack { nsp, id, data },
        p => p,
    }
}

fn decode_all(parser: &dyn Parser, messages: Vec<Message>) -> Option<Packet> {
    let mut decoder = parser.decoder();
    let mut last = None;
    for m in messages {
        last = decoder.handle_message(m).unwrap();
    }
    last
}

#[test]
fn socketio_parser_bytes_match_both_ways() {
    let cases = interop::cases();
    let node = run_node_script("codec.js");
    let (cases, node) = (
        cases["socketio"].as_array().unwrap(),
        node["socketio"].as_array().unwrap(),
    );
    assert_eq!(cases.len(), node.len());
    let parsers: [(&str, &dyn Parser); 3] = [
        ("v5", &JsonParser::new(ProtocolVersion::V5)),
        ("v4", &JsonParser::new(ProtocolVersion::V4)),
        ("msgpack", &MsgPackParser),
    ];
    let mut compared = 0;
    for (case, js) in cases.iter().zip(node) {
        let name = case["name"].as_str().unwrap();
        let packet = packet(&case["packet"]);
        for (format, parser) in parsers {
            let Some(theirs) = js.get(format) else {
                continue;
            };
            let theirs: Vec<Message> = theirs.as_array().unwrap().iter().map(frame).collect();
            let ours: Vec<Message> = parser.encode(&packet).messages().collect();
            assert_eq!(ours, theirs, "{name}: {format} encoding");
            let decoded = decode_all(parser, theirs)
                .unwrap_or_else(|| panic!("{name}: {format} decoded nothing"));
            if format == "msgpack" {
                assert_eq!(decoded, plain(packet.clone()), "{name}: {format} decoding");
            } else {
                assert_eq!(decoded, packet, "{name}: {format} decoding");
            }
            compared += 1;
        }
    }
    assert!(compared >= 60, "only {compared} comparisons ran");
}

/// Inputs socket.io-parser 4.x accepts and we refuse, on purpose: an EVENT
/// without data or with a non-string name, an ACK without id or data, a
/// CONNECT_ERROR without data, an ack id on a CONNECT, a binary packet
/// without an attachment count, an empty message (which Node reads as
/// CONNECT), and whitespace before the payload (which Node reads as ack id 0).
const STRICTER_THAN_NODE: [&str; 9] = [
    "2",
    "2[1]",
    "0/admin,1",
    "3",
    "31",
    "4",
    "5-[\"a\"]",
    "",
    "2 [\"hello\"]",
];

#[test]
fn decoder_refuses_what_socketio_parser_refuses() {
    let node = run_node_script("codec.js");
    let parser = JsonParser::new(ProtocolVersion::V5);
    for result in node["socketio_decode_v5"].as_array().unwrap() {
        let input = result["input"].as_str().unwrap();
        let ours = parser.decoder().handle_message(Message::Text(input.into()));
        if let Some(error) = result.get("error") {
            assert!(
                ours.is_err(),
                "{input:?}: Node refuses it ({error}), we read {ours:?}"
            );
        } else if result.get("pending").is_some() {
            assert_eq!(ours, Ok(None), "{input:?}: Node waits for attachments");
        } else if STRICTER_THAN_NODE.contains(&input) {
            assert!(ours.is_err(), "{input:?}: we should refuse it");
        } else {
            let theirs = plain(packet(&result["ok"]));
            assert_eq!(ours.map(|p| p.map(plain)), Ok(Some(theirs)), "{input:?}");
        }
    }
    // Every entry of the list is still something Node accepts.
    for input in STRICTER_THAN_NODE {
        let result = node["socketio_decode_v5"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["input"] == input);
        assert!(
            result.is_some_and(|r| r.get("ok").is_some()),
            "{input:?} is not in cases.json or Node refuses it"
        );
    }
}

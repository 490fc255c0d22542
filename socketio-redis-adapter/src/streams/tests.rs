//! What `@socket.io/redis-streams-adapter` 0.3.1 writes, from
//! `shared/research/redis-adapter.md` (section 4 and appendix A): uid
//! `0123456789abcdef`, request id `fedcba9876543210`.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use socketio_adapter::BroadcastOptions;
use socketio_parser::Packet;

use super::*;
use crate::cluster::{decode_packet, encode_packet, ClusterMessage, MessageType};
use crate::message::encode_options;

const UID: &str = "0123456789abcdef";

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn broadcast(packet: &Packet, opts: &BroadcastOptions) -> ClusterMessage {
    ClusterMessage {
        kind: MessageType::Broadcast,
        uid: UID.into(),
        nsp: "/".into(),
        data: Some(object([
            ("packet", encode_packet(packet)),
            ("opts", encode_options(opts)),
        ])),
    }
}

fn decode(fields: &[(&'static str, String)]) -> ClusterMessage {
    let map: HashMap<&str, &str> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ClusterMessage::decode_entry(|name| map.get(name).copied()).unwrap()
}

#[test]
fn a_broadcast_is_the_stream_entry_node_adds() {
    let packet = Packet::event("/", "hello", vec![Value::from("world")], None);
    let message = broadcast(&packet, &BroadcastOptions::default());
    let fields = message.encode_entry(false);
    assert_eq!(
        fields,
        [
            ("uid", UID.to_owned()),
            ("nsp", "/".to_owned()),
            ("type", "3".to_owned()),
            (
                "data",
                r#"{"packet":{"type":2,"data":["hello","world"]},"opts":{"rooms":[],"except":[],"flags":{}}}"#
                    .to_owned()
            ),
        ]
    );
    assert!(!message.is_ephemeral());
    let back = decode(&fields);
    assert_eq!(back, message);
    assert_eq!(decode_packet(back.field("packet"), "/").unwrap(), packet);
}

#[test]
fn a_binary_broadcast_goes_as_base64_of_msgpack() {
    let packet = Packet::event(
        "/",
        "bin",
        vec![Value::Binary(Bytes::from_static(&[1, 2, 3]))],
        None,
    );
    let message = broadcast(&packet, &BroadcastOptions::default());
    let fields = message.encode_entry(false);
    assert_eq!(
        fields[3].1,
        "gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA=="
    );
    let back = decode(&fields);
    assert_eq!(decode_packet(back.field("packet"), "/").unwrap(), packet);
    // With onlyPlaintext Node skips the check and writes JSON.
    assert!(message.encode_entry(true)[3].1.starts_with('{'));
}

#[test]
fn a_join_is_an_entry_and_a_fetch_goes_over_pubsub_as_node_encodes_it() {
    let opts = BroadcastOptions::default();
    let join = ClusterMessage {
        kind: MessageType::SocketsJoin,
        uid: UID.into(),
        nsp: "/".into(),
        data: Some(object([
            ("opts", encode_options(&opts)),
            ("rooms", Value::Array(vec![Value::from("room1")])),
        ])),
    };
    assert!(!join.is_ephemeral());
    assert_eq!(
        join.encode_entry(false)[3].1,
        r#"{"opts":{"rooms":[],"except":[],"flags":{}},"rooms":["room1"]}"#
    );

    // Appendix A.8: FETCH_SOCKETS for room1 on socket.io#/#.
    let expected = hex(
        "84 a4 74 79 70 65 07 a4 64 61 74 61 82 a4 6f 70 74 73 83 a5 72 6f 6f 6d 73 91 a5
         72 6f 6f 6d 31 a6 65 78 63 65 70 74 90 a5 66 6c 61 67 73 80 a9 72 65 71 75 65 73
         74 49 64 b0 66 65 64 63 62 61 39 38 37 36 35 34 33 32 31 30 a3 75 69 64 b0 30 31
         32 33 34 35 36 37 38 39 61 62 63 64 65 66 a3 6e 73 70 a1 2f",
    );
    let fetch = ClusterMessage {
        kind: MessageType::FetchSockets,
        uid: UID.into(),
        nsp: "/".into(),
        data: Some(object([
            (
                "opts",
                encode_options(&BroadcastOptions {
                    rooms: HashSet::from([Room::from("room1")]),
                    ..BroadcastOptions::default()
                }),
            ),
            ("requestId", Value::from("fedcba9876543210")),
        ])),
    };
    assert!(fetch.is_ephemeral());
    let bytes = fetch.encode_envelope();
    assert_eq!(bytes, expected);
    assert_eq!(
        ClusterMessage::decode_envelope(Bytes::from(bytes)).unwrap(),
        fetch
    );
}

#[test]
fn entries_that_are_not_messages_are_refused() {
    assert!(ClusterMessage::decode_entry(|_| None).is_err());
    let fields: HashMap<&str, &str> = HashMap::from([("nsp", "/"), ("type", "99")]);
    assert!(ClusterMessage::decode_entry(|n| fields.get(n).copied()).is_err());
    let fields: HashMap<&str, &str> = HashMap::from([("nsp", "/"), ("type", "3"), ("data", "!!")]);
    assert!(ClusterMessage::decode_entry(|n| fields.get(n).copied()).is_err());
    assert!(ClusterMessage::decode_envelope(Bytes::from_static(b"\xc1")).is_err());
}

#[test]
fn a_session_is_stored_as_node_stores_it() {
    // Appendix A.9.
    let session = PersistedSession {
        sid: SocketId::from("Zs9p2h0bqhYkH3OkAAAB"),
        pid: "ofS0vxHOQ0y39P7ZAAAC".into(),
        rooms: HashSet::from([Room::from("room1"), Room::from("Zs9p2h0bqhYkH3OkAAAB")]),
        data: Value::Object(vec![]),
    };
    let text = encode_session(&session);
    assert_eq!(
        text,
        "hKNzaWS0WnM5cDJoMGJxaFlrSDNPa0FBQUKjcGlktG9mUzB2eEhPUTB5MzlQN1pBQUFDpXJvb21zkrRaczlwMmgwYnFoWWtIM09rQUFBQqVyb29tMaRkYXRhgA=="
    );
    assert_eq!(decode_session(&text).unwrap(), session);
    assert!(decode_session("not base64!").is_err());
}

#[test]
fn namespaces_map_to_streams_as_in_node() {
    assert_eq!(hash_code("/"), 47);
    assert_eq!(hash_code("/admin"), 1_438_238_848);
    assert_eq!(hash_code("/notifications"), -1_014_064_871);
    assert_eq!(stream_name("socket.io", 1, "/notifications"), "socket.io");
    assert_eq!(stream_name("socket.io", 4, "/"), "socket.io-3");
    assert_eq!(
        stream_name("socket.io", 4, "/notifications"),
        "socket.io--3"
    );
}

#[test]
fn offsets_are_stream_ids() {
    assert!(is_offset("1700000000000-0"));
    for bad in ["", "-", "1-", "-1", "1-2-3", "a-1", "e3b0c442-1"] {
        assert!(!is_offset(bad), "{bad}");
    }
    assert_eq!(
        next_offset("1700000000000-7").as_deref(),
        Some("1700000000000-8")
    );
    assert_eq!(next_offset("1-18446744073709551615"), None);
}

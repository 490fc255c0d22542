//! The bytes `@socket.io/redis-adapter` 8.3 publishes (notepack 3), from
//! `shared/research/redis-adapter.md` appendix A, uid `abcdef`.
#![allow(clippy::unwrap_used)]

use super::*;

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[test]
fn a_broadcast_to_all_is_the_bytes_node_publishes() {
    // io.emit("hello", "world")
    let expected = hex(
        "93 a6 61 62 63 64 65 66 83 a4 74 79 70 65 02 a4 64 61 74 61 92 a5 68 65 6c 6c 6f
         a5 77 6f 72 6c 64 a3 6e 73 70 a1 2f 83 a5 72 6f 6f 6d 73 90 a6 65 78 63 65 70 74
         90 a5 66 6c 61 67 73 80",
    );
    let packet = Packet::event("/", "hello", vec![Value::from("world")], None);
    let bytes = encode_broadcast("abcdef", &packet, &BroadcastOptions::default());
    assert_eq!(bytes, expected);
    let (uid, decoded, opts) = decode_broadcast(Bytes::from(bytes), "/").unwrap();
    assert_eq!(
        (uid.as_str(), decoded, opts),
        ("abcdef", packet, BroadcastOptions::default())
    );
}

#[test]
fn a_volatile_broadcast_with_except_in_a_namespace() {
    // socket.broadcast.volatile.emit("x") in /admin
    let expected = hex(
        "93 a6 61 62 63 64 65 66 83 a4 74 79 70 65 02 a4 64 61 74 61 91 a1 78 a3 6e 73 70
         a6 2f 61 64 6d 69 6e 83 a5 72 6f 6f 6d 73 90 a6 65 78 63 65 70 74 91 b4 5a 73 39
         70 32 68 30 62 71 68 59 6b 48 33 4f 6b 41 41 41 42 a5 66 6c 61 67 73 81 a8 76 6f
         6c 61 74 69 6c 65 c3",
    );
    let packet = Packet::event("/admin", "x", vec![], None);
    let mut opts = BroadcastOptions::default();
    opts.except.insert(Room::from("Zs9p2h0bqhYkH3OkAAAB"));
    opts.flags.volatile = true;
    assert_eq!(encode_broadcast("abcdef", &packet, &opts), expected);
    let (_, decoded, decoded_opts) = decode_broadcast(Bytes::from(expected), "/admin").unwrap();
    assert_eq!((decoded, decoded_opts), (packet, opts));
}

#[test]
fn binary_travels_inline_and_numeric_rooms_are_rooms() {
    // io.emit("bin", Buffer.from([1, 2, 3])) and a room given as a number.
    let packet = Packet::event(
        "/",
        "bin",
        vec![Value::Binary(Bytes::from_static(&[1, 2, 3]))],
        None,
    );
    let bytes = encode_broadcast("abcdef", &packet, &BroadcastOptions::default());
    assert!(bytes.windows(5).any(|w| w == [0xc4, 0x03, 1, 2, 3]), "bin8");
    let (_, decoded, _) = decode_broadcast(Bytes::from(bytes), "/").unwrap();
    assert_eq!(decoded, packet);

    let opts = decode_options(Some(&object([
        ("rooms", Value::Array(vec![Value::from(123u64)])),
        ("except", Value::Array(vec![])),
        ("flags", object([("timeout", Value::from(1000u64))])),
    ])));
    assert!(opts.rooms.contains(&Room::from("123")));
    assert_eq!(opts.flags.timeout, Some(Duration::from_secs(1)));
}

#[test]
fn a_packet_for_another_namespace_or_without_an_event_is_refused() {
    let packet = Packet::event("/admin", "x", vec![], None);
    let bytes = encode_broadcast("abcdef", &packet, &BroadcastOptions::default());
    assert!(decode_broadcast(Bytes::from(bytes), "/").is_err());
    assert!(decode_broadcast(Bytes::from_static(&[0x93, 0xa0, 0x80, 0x80]), "/").is_err());
    assert!(decode_broadcast(Bytes::from_static(b"garbage"), "/").is_err());
}

#[test]
fn requests_are_json_with_nodes_field_order() {
    let body = request(
        "abcdef",
        Some("XyZ123"),
        RequestType::RemoteFetch,
        vec![(
            "opts",
            object([
                ("rooms", Value::Array(vec![Value::from("room1")])),
                ("except", Value::Array(vec![])),
            ]),
        )],
    );
    assert_eq!(
        String::from_utf8(json(&body)).unwrap(),
        r#"{"uid":"abcdef","requestId":"XyZ123","type":5,"opts":{"rooms":["room1"],"except":[]}}"#
    );
    let decoded = Request::decode(Bytes::from(json(&body))).unwrap();
    assert_eq!(decoded.kind, RequestType::RemoteFetch);
    assert_eq!(decoded.uid.as_deref(), Some("abcdef"));
    assert_eq!(decoded.request_id.as_deref(), Some("XyZ123"));
    assert!(decoded.options().rooms.contains(&Room::from("room1")));

    // An emitter's join: no uid.
    let join = Request::decode(Bytes::from_static(
        br#"{"type":2,"opts":{"rooms":[],"except":[]},"rooms":["room1"]}"#,
    ))
    .unwrap();
    assert_eq!(join.rooms(), vec![Room::from("room1")]);
    assert_eq!((join.kind, join.uid), (RequestType::RemoteJoin, None));
}

#[test]
fn a_socket_of_a_fetch_answer_round_trips() {
    let socket = SocketDetails {
        id: SocketId::from("Zs9p2h0bqhYkH3OkAAAB"),
        rooms: HashSet::from([Room::from("Zs9p2h0bqhYkH3OkAAAB"), Room::from("room1")]),
        handshake: Handshake {
            headers: vec![("host".into(), "localhost:3000".into())],
            time: "Mon Jul 20 2026 10:00:00 GMT+0000 (Coordinated Universal Time)".into(),
            address: "127.0.0.1".into(),
            xdomain: false,
            secure: false,
            issued: 1_784_541_600_000,
            url: "/socket.io/?EIO=4&transport=polling".into(),
            query: vec![("EIO".into(), "4".into())],
            auth: object([("name", Value::from("ada"))]),
        },
        data: object([("node", Value::from("A"))]),
    };
    let value = encode_socket(&socket);
    let text = String::from_utf8(json(&value)).unwrap();
    assert!(text.starts_with(r#"{"id":"Zs9p2h0bqhYkH3OkAAAB","handshake":{"headers":{"host":"localhost:3000"},"time":"#), "{text}");
    assert_eq!(decode_socket(&value), Some(socket));
}

#[test]
fn binary_in_a_json_request_is_a_node_buffer_object() {
    // serverSideEmit("file", Buffer.from([1, 2, 3])) as Node publishes it.
    let body = request(
        "abcdef",
        None,
        RequestType::ServerSideEmit,
        vec![(
            "data",
            Value::Array(vec![
                Value::from("file"),
                Value::Binary(Bytes::from_static(&[1, 2, 3])),
            ]),
        )],
    );
    assert_eq!(
        String::from_utf8(json(&body)).unwrap(),
        r#"{"uid":"abcdef","type":6,"data":["file",{"type":"Buffer","data":[1,2,3]}]}"#
    );
}

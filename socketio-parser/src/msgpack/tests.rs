use bytes::Bytes;
use engineio_protocol::Message;

use super::*;
use crate::Value;

fn decode(bytes: &[u8]) -> Result<Option<Packet>, Error> {
    MsgPackParser
        .decoder()
        .handle_message(Message::Binary(Bytes::copy_from_slice(bytes)))
}

fn encode(packet: &Packet) -> Vec<u8> {
    match MsgPackParser.encode(packet).head {
        Message::Binary(b) => b.to_vec(),
        Message::Text(_) => panic!("msgpack packets are binary"),
    }
}

/// `{type: 2, data: ["hello", <Buffer 01 02>], nsp: "/"}` as notepack.io
/// encodes it.
#[test]
fn event_with_binary_matches_notepack() {
    let packet = Packet::event(
        "/",
        "hello",
        vec![Value::Binary(Bytes::from_static(&[1, 2]))],
        None,
    );
    let expected = [
        &[0x83, 0xa4][..],
        b"type",
        &[0x02, 0xa4],
        b"data",
        &[0x92, 0xa5],
        b"hello",
        &[0xc4, 0x02, 0x01, 0x02, 0xa3],
        b"nsp",
        &[0xa1],
        b"/",
    ]
    .concat();
    assert_eq!(encode(&packet), expected);
    // Binary variants do not exist in this format: it comes back as EVENT.
    let Some(Packet::Event { data, .. }) = decode(&expected).unwrap() else {
        panic!()
    };
    assert_eq!(data[1], Value::Binary(Bytes::from_static(&[1, 2])));
}

#[test]
fn round_trips() {
    let packets = [
        Packet::Connect {
            nsp: "/admin".into(),
            data: Some(Value::Object(vec![("token".into(), Value::from("x"))])),
        },
        Packet::Connect {
            nsp: "/".into(),
            data: None,
        },
        Packet::Disconnect { nsp: "/".into() },
        Packet::event(
            "/",
            "e",
            vec![
                Value::from(-1i64),
                Value::from(300u64),
                Value::from(1.5f64.to_string()),
            ],
            Some(42),
        ),
        Packet::ack(
            "/a",
            7,
            vec![Value::Null, Value::Bool(true), Value::Array(vec![])],
        ),
        Packet::ConnectError {
            nsp: "/".into(),
            data: Value::from("nope"),
        },
    ];
    for p in packets {
        assert_eq!(decode(&encode(&p)).unwrap(), Some(p));
    }
}

#[test]
fn numbers_use_the_smallest_marker_like_notepack() {
    let cases: [(Value, &[u8]); 8] = [
        (Value::from(5u64), &[0x05]),
        (Value::from(200u64), &[0xcc, 200]),
        (Value::from(70000u64), &[0xce, 0, 1, 0x11, 0x70]),
        (Value::from(-5i64), &[0xfb]),
        (Value::from(-100i64), &[0xd0, 0x9c]),
        (
            Value::Number(serde_json::Number::from_f64(2.0).unwrap()),
            &[0x02],
        ),
        (
            Value::Number(serde_json::Number::from_f64(0.5).unwrap()),
            &[0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0],
        ),
        (Value::from("x".repeat(40).as_str()), &[0xd9, 40]),
    ];
    for (value, prefix) in cases {
        let mut out = Vec::new();
        write::write_value(&value, &mut out);
        assert!(out.starts_with(prefix), "{value:?}: {out:x?}");
    }
}

/// Browsers send ArrayBuffers, which notepack writes as ext type 0;
/// `undefined` is fixext 1 type 0 and counts as absent.
#[test]
fn reads_ext_binary_and_undefined() {
    let bytes = [
        &[0x84, 0xa4][..],
        b"type",
        &[0x02, 0xa4],
        b"data",
        &[0x92, 0xa1],
        b"e",
        &[0xc7, 0x02, 0x00, 0x09, 0x08, 0xa2],
        b"id",
        &[0xd4, 0x00, 0x00, 0xa3],
        b"nsp",
        &[0xa1],
        b"/",
    ]
    .concat();
    let packet = decode(&bytes).unwrap();
    assert_eq!(
        packet,
        Some(Packet::Event {
            nsp: "/".into(),
            id: None,
            data: vec![Value::from("e"), Value::Binary(Bytes::from_static(&[9, 8]))]
        })
    );
}

#[test]
fn malformed_input_is_an_error() {
    assert_eq!(decode(&[]), Err(Error::InvalidMsgpack("truncated input")));
    assert_eq!(
        decode(&[0x90]),
        Err(Error::InvalidMsgpack("a packet must be a map"))
    );
    assert_eq!(
        decode(&[0x81, 0xa4, b't', b'y', b'p', b'e', 0x05, 0xc0]),
        Err(Error::InvalidMsgpack("trailing bytes"))
    );
    // An array that claims 2^32-1 items in five bytes allocates nothing big.
    assert_eq!(
        decode(&[0x81, 0xa1, b'x', 0xdd, 0xff, 0xff, 0xff, 0xff]),
        Err(Error::InvalidMsgpack("truncated input"))
    );
    // Deep nesting is refused, not a stack overflow.
    let mut deep = vec![0x81, 0xa4, b'd', b'a', b't', b'a'];
    deep.extend(std::iter::repeat_n(0x91, 100_000));
    assert_eq!(
        decode(&deep),
        Err(Error::InvalidMsgpack("nested too deeply"))
    );
    // Binary types do not exist in this format.
    let binary_event = [
        &[0x83, 0xa4][..],
        b"type",
        &[0x05, 0xa4],
        b"data",
        &[0x91, 0xa1],
        b"e",
        &[0xa3],
        b"nsp",
        &[0xa1],
        b"/",
    ]
    .concat();
    assert_eq!(
        decode(&binary_event),
        Err(Error::UnknownPacketType("5".into()))
    );
    let no_nsp = [&[0x81, 0xa4][..], b"type", &[0x01]].concat();
    assert_eq!(decode(&no_nsp), Err(Error::InvalidNamespace));
    assert_eq!(
        MsgPackParser
            .decoder()
            .handle_message(Message::Text("2".into())),
        Err(Error::UnexpectedText)
    );
}

#[test]
fn values_round_trip_in_notepack_bytes() {
    use crate::{decode_msgpack, encode_msgpack};
    // notepack 3: `io.emit("bin", Buffer.from([1,2,3]))` as the classic
    // Redis adapter publishes it, from uid "abcdef".
    let bytes: &[u8] = &[
        0x93, 0xa6, b'a', b'b', b'c', b'd', b'e', b'f', 0x83, 0xa4, b't', b'y', b'p', b'e', 0x02,
        0xa4, b'd', b'a', b't', b'a', 0x92, 0xa3, b'b', b'i', b'n', 0xc4, 0x03, 0x01, 0x02, 0x03,
        0xa3, b'n', b's', b'p', 0xa1, b'/', 0x83, 0xa5, b'r', b'o', b'o', b'm', b's', 0x90, 0xa6,
        b'e', b'x', b'c', b'e', b'p', b't', 0x90, 0xa5, b'f', b'l', b'a', b'g', b's', 0x80,
    ];
    let value = decode_msgpack(Bytes::from_static(bytes)).unwrap();
    let Value::Array(parts) = &value else {
        panic!("{value:?}")
    };
    assert_eq!(parts[0], Value::from("abcdef"));
    assert_eq!(encode_msgpack(&value), bytes);
    assert!(decode_msgpack(Bytes::from_static(&[0x91, 0x01, 0x02])).is_err());
}

#[test]
fn a_notepack_date_reads_as_its_iso_string() {
    use crate::decode_msgpack;
    // notepack 3: new Date("2000-06-13T00:00:00.000Z"), 32-bit seconds.
    let date = decode_msgpack(Bytes::from_static(&[0xd6, 0xff, 0x39, 0x45, 0x79, 0x80])).unwrap();
    assert_eq!(date, Value::from("2000-06-13T00:00:00.000Z"));
    // 64-bit form: 123 ms (123 000 000 ns) after 1970-01-01T00:00:01.
    let nanos: u64 = 123_000_000;
    let packed = (nanos << 34) | 1;
    let mut bytes = vec![0xd7, 0xff];
    bytes.extend_from_slice(&packed.to_be_bytes());
    assert_eq!(
        decode_msgpack(Bytes::from(bytes)).unwrap(),
        Value::from("1970-01-01T00:00:01.123Z")
    );
    // 96-bit form, before the epoch: -1 s.
    let mut bytes = vec![0xc7, 0x0c, 0xff, 0, 0, 0, 0];
    bytes.extend_from_slice(&(-1i64).to_be_bytes());
    assert_eq!(
        decode_msgpack(Bytes::from(bytes)).unwrap(),
        Value::from("1969-12-31T23:59:59.000Z")
    );
}

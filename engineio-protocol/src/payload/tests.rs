use super::*;
use PayloadFormat::{V3Binary, V3String, V4};

fn decode(body: &[u8], format: PayloadFormat) -> Result<Vec<Packet>, Error> {
    decode_payload(Bytes::copy_from_slice(body), format)
}

fn encode(packets: &[Packet], format: PayloadFormat) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_payload(packets, format, &mut out);
    out.to_vec()
}

/// v4 protocol, "Payload encoding": `4hello\x1e4€` and `4€\x1ebAQIDBA==`.
#[test]
fn v4_spec_examples() {
    let packets = vec![Packet::text("hello"), Packet::text("€")];
    assert_eq!(decode("4hello\x1e4€".as_bytes(), V4).unwrap(), packets);
    assert_eq!(encode(&packets, V4), "4hello\x1e4€".as_bytes());

    let packets = vec![Packet::text("€"), Packet::binary(vec![1, 2, 3, 4])];
    assert_eq!(decode("4€\x1ebAQIDBA==".as_bytes(), V4).unwrap(), packets);
    assert_eq!(encode(&packets, V4), "4€\x1ebAQIDBA==".as_bytes());
}

/// v3 protocol, "Payload encoding": the length counts characters as
/// JavaScript does, so `€` (one UTF-16 unit, three UTF-8 bytes) counts 1.
#[test]
fn v3_string_spec_examples() {
    let packets = vec![Packet::text("hello"), Packet::text("€")];
    assert_eq!(
        decode("6:4hello2:4€".as_bytes(), V3String).unwrap(),
        packets
    );
    assert_eq!(encode(&packets, V3String), "6:4hello2:4€".as_bytes());

    let packets = vec![Packet::text("hello"), Packet::binary(vec![1, 2, 3, 4])];
    assert_eq!(decode(b"6:4hello10:b4AQIDBA==", V3String).unwrap(), packets);
    assert_eq!(encode(&packets, V3String), b"6:4hello10:b4AQIDBA==");
}

#[test]
fn v3_string_lengths_count_utf16_units() {
    // U+1F600 is two UTF-16 units and four UTF-8 bytes.
    let packets = vec![Packet::text("😀")];
    assert_eq!(encode(&packets, V3String), "3:4😀".as_bytes());
    assert_eq!(decode("3:4😀".as_bytes(), V3String).unwrap(), packets);
    // A length that ends inside a surrogate pair is refused.
    assert_eq!(
        decode("2:4😀".as_bytes(), V3String),
        Err(Error::InvalidLength)
    );
}

#[test]
fn v3_binary_layout() {
    let packets = vec![Packet::text("hello"), Packet::binary(vec![1, 2, 3, 4])];
    let body = encode(&packets, V3Binary);
    assert_eq!(
        body,
        [&[0u8, 6, 0xff][..], b"4hello", &[1, 5, 0xff, 4, 1, 2, 3, 4]].concat()
    );
    assert_eq!(decode(&body, V3Binary).unwrap(), packets);
}

#[test]
fn v3_empty_payload_is_zero_colon() {
    assert_eq!(encode(&[], V3String), b"0:");
    assert_eq!(decode(b"0:", V3String).unwrap(), vec![]);
}

#[test]
fn malformed_payloads_are_errors() {
    assert_eq!(decode(b"", V4), Err(Error::EmptyPayload));
    assert_eq!(decode(b"4a\x1e", V4), Err(Error::EmptyPacket));
    assert_eq!(decode(b"\xff", V4), Err(Error::InvalidUtf8));
    assert_eq!(decode(b"4a\x1e9", V4), Err(Error::UnknownPacketType(b'9')));
    assert_eq!(decode(b"6:4hel", V3String), Err(Error::InvalidLength));
    assert_eq!(decode(b"x:4", V3String), Err(Error::InvalidLength));
    assert_eq!(decode(b":4", V3String), Err(Error::InvalidLength));
    assert_eq!(decode(b"2:4a3", V3String), Err(Error::InvalidLength));
    assert_eq!(
        decode(b"99999999999999999999999:4", V3String),
        Err(Error::InvalidLength)
    );
    assert_eq!(
        decode(&[0, 9, 0xff, b'4'], V3Binary),
        Err(Error::InvalidLength)
    );
    assert_eq!(
        decode(&[2, 1, 0xff, b'4'], V3Binary),
        Err(Error::InvalidLength)
    );
    assert_eq!(decode(&[0, 1, 2], V3Binary), Err(Error::InvalidLength));
    assert_eq!(
        decode(&[1, 2, 0xff, 2, 1], V3Binary),
        Err(Error::BinaryNotMessage)
    );
}

#[test]
fn response_format_follows_binary_support() {
    let text = [Packet::text("a")];
    let binary = [Packet::binary(vec![1])];
    assert_eq!(
        PayloadFormat::for_response(ProtocolVersion::V4, true, &binary),
        V4
    );
    assert_eq!(
        PayloadFormat::for_response(ProtocolVersion::V3, true, &binary),
        V3Binary
    );
    assert_eq!(
        PayloadFormat::for_response(ProtocolVersion::V3, false, &binary),
        V3String
    );
    assert_eq!(
        PayloadFormat::for_response(ProtocolVersion::V3, true, &text),
        V3String
    );
    assert_eq!(
        PayloadFormat::for_request(ProtocolVersion::V3, Some("application/octet-stream")),
        V3Binary
    );
}

#[test]
fn body_buffer_refuses_before_the_body_is_whole() {
    let mut body = BodyBuffer::new(10);
    body.handle_chunk(b"4hello").unwrap();
    assert_eq!(
        body.handle_chunk(b"world"),
        Err(Error::PayloadTooLarge { limit: 10 })
    );

    let mut body = BodyBuffer::new(10);
    body.handle_chunk(b"4hello").unwrap();
    body.handle_chunk(b"1234").unwrap();
    assert_eq!(&body.finish()[..], b"4hello1234");
}

#[test]
fn round_trips_in_every_format() {
    let packets = vec![
        Packet::text("héllo\u{1e}?"),
        Packet::binary(vec![0, 255, 10]),
        Packet::Ping(Str::from(crate::PROBE)),
        Packet::Noop,
        Packet::Close,
    ];
    for format in [V3String, V3Binary] {
        assert_eq!(
            decode(&encode(&packets, format), format).unwrap(),
            packets,
            "{format:?}"
        );
    }
    // In v4 a text message may not contain the separator itself.
    let v4: Vec<_> = packets.into_iter().skip(1).collect();
    assert_eq!(decode(&encode(&v4, V4), V4).unwrap(), v4);
}

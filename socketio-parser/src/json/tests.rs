use super::*;
use crate::packet::ProtocolVersion::{V4, V5};
use crate::value::obj;

fn decode(version: ProtocolVersion, messages: Vec<Message>) -> Result<Option<Packet>, Error> {
    let mut decoder = JsonParser::new(version).decoder();
    let mut last = Ok(None);
    for m in messages {
        last = decoder.handle_message(m);
        if last.is_err() {
            break;
        }
    }
    last
}

fn text(version: ProtocolVersion, s: &str) -> Result<Option<Packet>, Error> {
    decode(version, vec![Message::Text(Str::from(s))])
}

fn encode(version: ProtocolVersion, packet: &Packet) -> (String, Vec<Bytes>) {
    let Encoded { head, attachments } = JsonParser::new(version).encode(packet);
    let Message::Text(head) = head else {
        panic!("JSON packets start with text")
    };
    (head.to_string(), attachments)
}

fn s(v: &str) -> Value {
    Value::from(v)
}

/// Each example of the protocol v5 document's "Packet encoding" section
/// (and its sample session), decoded, and encoded back to the same text.
#[test]
fn v5_spec_examples_round_trip() {
    let bin = |b: &'static [u8]| Bytes::from_static(b);
    let cases: Vec<(&str, Vec<Bytes>, Packet)> = vec![
        (
            "0",
            vec![],
            Packet::Connect {
                nsp: "/".into(),
                data: None,
            },
        ),
        (
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            vec![],
            Packet::Connect {
                nsp: "/admin".into(),
                data: Some(obj(&[("sid", s("oSO0OpakMV_3jnilAAAA"))])),
            },
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            vec![],
            Packet::ConnectError {
                nsp: "/".into(),
                data: obj(&[("message", s("Not authorized"))]),
            },
        ),
        (
            r#"2["foo"]"#,
            vec![],
            Packet::event("/", "foo", vec![], None),
        ),
        (
            r#"2/admin,["bar"]"#,
            vec![],
            Packet::event("/admin", "bar", vec![], None),
        ),
        (
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            vec![bin(&[1, 2, 3, 4])],
            Packet::event("/", "baz", vec![Value::Binary(bin(&[1, 2, 3, 4]))], None),
        ),
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![bin(&[1, 2]), bin(&[3, 4])],
            Packet::event(
                "/admin",
                "baz",
                vec![Value::Binary(bin(&[1, 2])), Value::Binary(bin(&[3, 4]))],
                None,
            ),
        ),
        (
            r#"212["foo"]"#,
            vec![],
            Packet::event("/", "foo", vec![], Some(12)),
        ),
        (
            r#"3/admin,13["bar"]"#,
            vec![],
            Packet::ack("/admin", 13, vec![s("bar")]),
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            vec![bin(&[1, 2, 3, 4])],
            Packet::ack("/", 15, vec![s("bar"), Value::Binary(bin(&[1, 2, 3, 4]))]),
        ),
        ("1", vec![], Packet::Disconnect { nsp: "/".into() }),
        (
            "1/admin,",
            vec![],
            Packet::Disconnect {
                nsp: "/admin".into(),
            },
        ),
        // From the sample session.
        (
            r#"0/admin,"#,
            vec![],
            Packet::Connect {
                nsp: "/admin".into(),
                data: None,
            },
        ),
        (
            r#"2/admin,1["tellme"]"#,
            vec![],
            Packet::event("/admin", "tellme", vec![], Some(1)),
        ),
        (
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
            vec![bin(b"x")],
            Packet::ack("/admin", 1, vec![Value::Binary(bin(b"x"))]),
        ),
    ];
    for (wire, attachments, packet) in cases {
        let mut messages = vec![Message::Text(Str::from(wire))];
        messages.extend(attachments.iter().cloned().map(Message::Binary));
        assert_eq!(
            decode(V5, messages).unwrap(),
            Some(packet.clone()),
            "decoding {wire}"
        );
        assert_eq!(
            encode(V5, &packet),
            (wire.to_owned(), attachments),
            "encoding {wire}"
        );
    }
}

#[test]
fn binary_packet_waits_for_every_attachment() {
    let mut decoder = JsonDecoder::new(JsonParser::new(V5));
    let head = Str::from(r#"52-["e",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#);
    assert_eq!(decoder.handle_text(&head).unwrap(), None);
    assert!(decoder.is_collecting());
    assert_eq!(
        decoder.handle_binary(Bytes::from_static(b"a")).unwrap(),
        None
    );
    let packet = decoder.handle_binary(Bytes::from_static(b"b")).unwrap();
    assert_eq!(
        packet,
        Some(Packet::BinaryEvent {
            nsp: "/".into(),
            id: None,
            data: vec![
                s("e"),
                Value::Binary(Bytes::from_static(b"b")),
                Value::Binary(Bytes::from_static(b"a"))
            ],
        })
    );
    assert!(!decoder.is_collecting());
}

#[test]
fn attachment_limit_is_enforced_before_buffering() {
    let parser = JsonParser::new(V5).max_attachments(2);
    let mut decoder = JsonDecoder::new(parser);
    assert_eq!(
        decoder.handle_text(&Str::from(r#"53-["e"]"#)),
        Err(Error::TooManyAttachments {
            announced: 3,
            limit: 2
        })
    );
    assert_eq!(
        decoder.handle_text(&Str::from(r#"599999999999999999999999-["e"]"#)),
        Err(Error::IllegalAttachments)
    );
}

/// Found by the fuzzing helper: with no practical limit, an announced count
/// of 10^12 must not be reserved up front.
#[test]
fn announced_attachments_are_not_reserved_up_front() {
    let mut decoder = JsonDecoder::new(JsonParser::new(V5).max_attachments(usize::MAX));
    assert_eq!(
        decoder.handle_text(&Str::from(r#"51000000000000-["a"]"#)),
        Ok(None)
    );
    assert_eq!(
        decoder.handle_text(&Str::from(r#"518446744073709551615-["a"]"#)),
        Err(Error::UnexpectedText)
    );
    assert_eq!(
        decoder.handle_text(&Str::from(r#"518446744073709551615-["a"]"#)),
        Ok(None)
    );
    assert_eq!(decoder.handle_binary(Bytes::from_static(b"x")), Ok(None));
}

#[test]
fn frames_out_of_order_are_errors() {
    assert_eq!(
        decode(V5, vec![Message::Binary(Bytes::from_static(b"x"))]),
        Err(Error::UnexpectedBinary)
    );
    assert_eq!(
        decode(
            V5,
            vec![
                Message::Text(Str::from(r#"51-["e",{"_placeholder":true,"num":0}]"#)),
                Message::Text(Str::from("2[\"e\"]"))
            ]
        ),
        Err(Error::UnexpectedText)
    );
}

/// What socket.io-parser refuses, we refuse, each with its own error.
#[test]
fn malformed_packets_are_typed_errors() {
    let err = |s: &str| text(V5, s).unwrap_err();
    assert_eq!(err(""), Error::EmptyPacket);
    assert_eq!(err("7"), Error::UnknownPacketType("7".into()));
    assert_eq!(err("é"), Error::UnknownPacketType("é".into()));
    assert_eq!(err(r#"5["e"]"#), Error::IllegalAttachments);
    assert_eq!(err(r#"5x-["e"]"#), Error::IllegalAttachments);
    assert_eq!(
        err(r#"2chat,["e"]"#),
        Error::InvalidJson("expected value at line 1 column 1".into())
    );
    assert_eq!(err(r#"299999999999999999999["e"]"#), Error::InvalidAckId);
    assert!(matches!(err(r#"2["e""#), Error::InvalidJson(_)));
    assert!(matches!(err(r#"2["e"]x"#), Error::InvalidJson(_)));
    assert!(matches!(err(r#"2["e"]]"#), Error::InvalidJson(_)));
    assert!(matches!(
        err(r#"2{"e":1}"#),
        Error::InvalidPayload {
            packet_type: "EVENT",
            ..
        }
    ));
    assert!(matches!(
        err("2[]"),
        Error::InvalidPayload {
            packet_type: "EVENT",
            ..
        }
    ));
    assert!(matches!(
        err("2[1]"),
        Error::InvalidPayload {
            packet_type: "EVENT",
            ..
        }
    ));
    assert!(matches!(
        err("2"),
        Error::InvalidPayload {
            packet_type: "EVENT",
            ..
        }
    ));
    assert_eq!(
        err(r#"2["disconnect"]"#),
        Error::ReservedEventName("disconnect".into())
    );
    assert!(matches!(err("3[]"), Error::InvalidAckId));
    assert!(matches!(
        err(r#"31{"a":1}"#),
        Error::InvalidPayload {
            packet_type: "ACK",
            ..
        }
    ));
    assert!(matches!(
        err(r#"0"token""#),
        Error::InvalidPayload {
            packet_type: "CONNECT",
            ..
        }
    ));
    assert!(matches!(
        err(r#"1["x"]"#),
        Error::InvalidPayload {
            packet_type: "DISCONNECT",
            ..
        }
    ));
    assert!(matches!(
        err("4[1]"),
        Error::InvalidPayload {
            packet_type: "CONNECT_ERROR",
            ..
        }
    ));
    assert_eq!(err("01"), Error::InvalidAckId);
    assert_eq!(
        decode(
            V5,
            vec![
                Message::Text(Str::from(r#"51-["e",{"_placeholder":true,"num":1}]"#)),
                Message::Binary(Bytes::new())
            ]
        ),
        Err(Error::InvalidPlaceholder)
    );
}

#[test]
fn non_binary_packets_keep_placeholder_lookalikes_as_objects() {
    let packet = text(V5, r#"2["e",{"_placeholder":true,"num":0}]"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        packet,
        Packet::Event {
            nsp: "/".into(),
            id: None,
            data: vec![
                s("e"),
                obj(&[
                    ("_placeholder", Value::Bool(true)),
                    ("num", Value::from(0u64))
                ])
            ],
        }
    );
}

/// Protocol v4 (socket.io 2.x): the query string rides in the CONNECT
/// namespace, and ERROR carries a string.
#[test]
fn v4_connect_query_and_error_string() {
    let packet = text(V4, "0/chat?token=a%20b&x=1").unwrap().unwrap();
    let expected = Packet::Connect {
        nsp: "/chat".into(),
        data: Some(obj(&[("token", s("a b")), ("x", s("1"))])),
    };
    assert_eq!(packet, expected);
    assert_eq!(encode(V4, &expected).0, "0/chat?token=a%20b&x=1,");

    let error = Packet::ConnectError {
        nsp: "/chat".into(),
        data: s("Not authorized"),
    };
    assert_eq!(encode(V4, &error).0, r#"4/chat,"Not authorized""#);
    assert_eq!(text(V4, r#"4/chat,"Not authorized""#).unwrap(), Some(error));
    // An empty query stays an (empty) query both ways (found by fuzzing:
    // it once encoded as no query, which decoded as no data).
    let empty = Packet::Connect {
        nsp: "/chat".into(),
        data: Some(obj(&[])),
    };
    assert_eq!(encode(V4, &empty).0, "0/chat?,");
    assert_eq!(text(V4, "0/chat?,").unwrap(), Some(empty));
    // In v5 the `?` is just part of the namespace name.
    assert_eq!(
        text(V5, "0/chat?x=1,").unwrap(),
        Some(Packet::Connect {
            nsp: "/chat?x=1".into(),
            data: None
        })
    );
}

#[test]
fn event_with_binary_is_sent_as_binary_event() {
    let data = vec![s("e"), Value::Binary(Bytes::from_static(b"z"))];
    let packet = Packet::Event {
        nsp: "/".into(),
        id: Some(1),
        data,
    };
    let (head, attachments) = encode(V5, &packet);
    assert_eq!(head, r#"51-1["e",{"_placeholder":true,"num":0}]"#);
    assert_eq!(attachments, vec![Bytes::from_static(b"z")]);
}

//! Property tests: no input makes a decoder panic, and encoding then
//! decoding gives back the same packet in every format.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use bytes::Bytes;
use engineio_protocol::{Message, Str};
use proptest::prelude::*;
#[cfg(feature = "msgpack")]
use socketio_parser::MsgPackParser;
use socketio_parser::{JsonParser, Packet, Parser, ProtocolVersion, Value};

fn value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Numbers with a short exact decimal form and a fractional part:
        // JavaScript has one number type, so 2.0 comes back as 2.
        (-1_000_000i64..1_000_000).prop_map(|n| {
            Value::Number(serde_json::Number::from_f64(n as f64 + 0.25).unwrap())
        }),
        "\\PC{0,20}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::Binary(b.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn nsp() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[a-z0-9-]{1,10}"]
}

fn packet() -> impl Strategy<Value = Packet> {
    let args = proptest::collection::vec(value(), 0..4);
    prop_oneof![
        (
            nsp(),
            proptest::option::of(proptest::collection::btree_map("[a-z]{1,5}", value(), 0..4))
        )
            .prop_map(|(nsp, data)| Packet::Connect {
                nsp: nsp.into(),
                data: data.map(|m| Value::Object(m.into_iter().collect())),
            }),
        nsp().prop_map(|nsp| Packet::Disconnect { nsp: nsp.into() }),
        (
            nsp(),
            "[a-z:]{1,12}".prop_map(String::from),
            args.clone(),
            proptest::option::of(any::<u64>())
        )
            .prop_map(|(nsp, event, args, id)| Packet::event(nsp, &event, args, id)),
        (nsp(), any::<u64>(), args).prop_map(|(nsp, id, args)| Packet::ack(nsp, id, args)),
        (
            nsp(),
            value().prop_filter("string or object", |v| matches!(
                v,
                Value::String(_) | Value::Object(_)
            ))
        )
            .prop_map(|(nsp, data)| Packet::ConnectError {
                nsp: nsp.into(),
                data
            }),
    ]
}

/// The JSON format carries binary only in EVENT and ACK packets; elsewhere
/// it becomes `{"type":"Buffer","data":[...]}` as in Node.
fn json_carries(p: &Packet) -> bool {
    match p {
        Packet::Connect {
            data: Some(data), ..
        }
        | Packet::ConnectError { data, .. } => !data.has_binary(),
        _ => true,
    }
}

fn round_trip(parser: &dyn Parser, packet: &Packet) -> Option<Packet> {
    let mut decoder = parser.decoder();
    let mut last = None;
    for m in parser.encode(packet).messages() {
        last = decoder.handle_message(m).unwrap();
    }
    last
}

fn messages() -> impl Strategy<Value = Vec<Message>> {
    let message = prop_oneof![
        "\\PC{0,40}".prop_map(|s| Message::Text(Str::from(s))),
        "[0-6][0-9-]{0,3}(/[a-z]{0,3},)?[0-9]{0,3}\\[\"[a-z]{0,3}\"(,\\{\"_placeholder\":true,\"num\":[0-2]\\})*\\]"
            .prop_map(|s| Message::Text(Str::from(s))),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| Message::Binary(Bytes::from(b))),
    ];
    proptest::collection::vec(message, 1..6)
}

proptest! {
    #[test]
    fn arbitrary_messages_never_panic(messages in messages()) {
        let parsers: Vec<Box<dyn Parser>> = vec![
            Box::new(JsonParser::new(ProtocolVersion::V5)),
            Box::new(JsonParser::new(ProtocolVersion::V4).max_attachments(2)),
            #[cfg(feature = "msgpack")]
            Box::new(MsgPackParser),
        ];
        for parser in &parsers {
            let mut decoder = parser.decoder();
            for m in &messages {
                let _ = decoder.handle_message(m.clone());
            }
        }
    }

    #[test]
    fn json_v5_round_trips(p in packet()) {
        prop_assume!(json_carries(&p));
        prop_assert_eq!(round_trip(&JsonParser::new(ProtocolVersion::V5), &p), Some(p));
    }

    #[test]
    fn json_v4_round_trips(p in packet()) {
        prop_assume!(json_carries(&p));
        // Protocol v4 carries CONNECT data as a query string: strings only.
        if let Packet::Connect { data: Some(Value::Object(entries)), .. } = &p {
            prop_assume!(!entries.is_empty() && entries.iter().all(|(_, v)| matches!(v, Value::String(_))));
        }
        prop_assert_eq!(round_trip(&JsonParser::new(ProtocolVersion::V4), &p), Some(p));
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn msgpack_round_trips(p in packet()) {
        let expected = match p.clone() {
            Packet::BinaryEvent { nsp, id, data } => Packet::Event { nsp, id, data },
            Packet::BinaryAck { nsp, id, data } => Packet::Ack { nsp, id, data },
            p => p,
        };
        prop_assert_eq!(round_trip(&MsgPackParser, &p), Some(expected));
    }
}

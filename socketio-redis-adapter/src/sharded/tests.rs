//! What `@socket.io/redis-adapter` 8.3's sharded adapter writes, from
//! `shared/research/redis-adapter.md` (section 2.4): uid
//! `0123456789abcdef`, request id `fedcba9876543210`.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use bytes::Bytes;
use socketio_adapter::{BroadcastOptions, Room};
use socketio_parser::{Packet, Value};

use super::*;
use crate::cluster::encode_packet;
use crate::message::{encode_options, object};

const MAIN: &str = "socket.io#/#";

fn broadcast(rooms: &[&str], request_id: Option<&str>) -> ClusterMessage {
    let opts = BroadcastOptions {
        rooms: rooms.iter().map(|r| Room::from(*r)).collect::<HashSet<_>>(),
        ..BroadcastOptions::default()
    };
    let packet = Packet::event("/", "hello", vec![Value::from("world")], None);
    let mut fields = vec![("packet".to_owned(), encode_packet(&packet))];
    if let Some(id) = request_id {
        fields.push(("requestId".to_owned(), Value::from(id)));
    }
    fields.push(("opts".to_owned(), encode_options(&opts)));
    ClusterMessage {
        kind: MessageType::Broadcast,
        uid: "0123456789abcdef".into(),
        nsp: "/".into(),
        data: Some(Value::Object(fields)),
    }
}

#[test]
fn a_broadcast_is_the_json_node_publishes() {
    let bytes = broadcast(&[], None).encode_json_or_msgpack();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"type":3,"data":{"packet":{"type":2,"data":["hello","world"]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"0123456789abcdef","nsp":"/"}"#
    );
    let back = ClusterMessage::decode_envelope(Bytes::from(bytes)).unwrap();
    assert_eq!(back, broadcast(&[], None));
}

#[test]
fn binary_makes_the_whole_envelope_msgpack() {
    let mut message = broadcast(&[], None);
    message.data = Some(object([(
        "packet",
        object([
            ("type", Value::from(2u64)),
            (
                "data",
                Value::Array(vec![
                    Value::from("bin"),
                    Value::Binary(Bytes::from_static(&[1, 2])),
                ]),
            ),
        ]),
    )]));
    let bytes = message.encode_json_or_msgpack();
    // A map of four keys, "type" first: not JSON.
    assert_eq!(&bytes[..6], &[0x84, 0xa4, b't', b'y', b'p', b'e']);
    assert_eq!(
        ClusterMessage::decode_envelope(Bytes::from(bytes)).unwrap(),
        message
    );
    // A join holds no binary Node would look for: always JSON.
    let join = ClusterMessage {
        kind: MessageType::SocketsJoin,
        ..message
    };
    assert_eq!(join.encode_json_or_msgpack()[0], b'{');
}

#[test]
fn the_channel_is_chosen_as_node_chooses_it() {
    use SubscriptionMode::{Dynamic, DynamicPrivate, Static};
    let sid = "abcdefghij0123456789";
    assert_eq!(
        channel_for(Dynamic, MAIN, &broadcast(&["room1"], None)),
        "socket.io#/#room1#"
    );
    assert_eq!(
        channel_for(Static, MAIN, &broadcast(&["room1"], None)),
        MAIN
    );
    // Acked broadcasts count every server: the main channel.
    assert_eq!(
        channel_for(Dynamic, MAIN, &broadcast(&["room1"], Some("f"))),
        MAIN
    );
    // Two rooms, or none: the main channel.
    assert_eq!(
        channel_for(Dynamic, MAIN, &broadcast(&["a", "b"], None)),
        MAIN
    );
    assert_eq!(channel_for(Dynamic, MAIN, &broadcast(&[], None)), MAIN);
    // What looks like a socket id (20 characters) only in dynamic-private.
    assert_eq!(channel_for(Dynamic, MAIN, &broadcast(&[sid], None)), MAIN);
    assert_eq!(
        channel_for(DynamicPrivate, MAIN, &broadcast(&[sid], None)),
        format!("{MAIN}{sid}#")
    );
    // Other kinds of message: the main channel.
    let join = ClusterMessage {
        kind: MessageType::SocketsJoin,
        ..broadcast(&["room1"], None)
    };
    assert_eq!(channel_for(DynamicPrivate, MAIN, &join), MAIN);
}

#[test]
fn which_rooms_get_a_channel() {
    assert!(subscribes_to(SubscriptionMode::Dynamic, false));
    assert!(!subscribes_to(SubscriptionMode::Dynamic, true));
    assert!(subscribes_to(SubscriptionMode::DynamicPrivate, true));
    assert!(!subscribes_to(SubscriptionMode::Static, false));
}

//! Fuzzes the Socket.IO msgpack decoder: `MsgPackParser.decoder().handle_message(Message::Binary(..))`.
//!
//! Input: the bytes of one binary message.
//!
//! Checked on every decoded packet `p1`:
//! - it is never a BINARY_EVENT or BINARY_ACK (msgpack carries binary
//!   inline);
//! - `MsgPackParser::encode` gives one binary message and no attachments;
//! - decoding that gives `p2`, equal to `p1` with numbers compared as
//!   JavaScript numbers (an integral float is written as an integer, as
//!   notepack.io does);
//! - encoding and decoding `p2` gives exactly `p2` (once normalised, the
//!   encoding is stable), and the same bytes as encoding `p1`.
//!
//! Text messages are refused; one is tried per input.
#![no_main]

use bytes::Bytes;
use engineio_protocol::{Message, Str};
use libfuzzer_sys::fuzz_target;
use socketio_parser::{Encoded, MsgPackParser, Packet, Parser};
use socketio_rs_fuzz::same_packet;

fn decode(message: Message) -> Result<Option<Packet>, socketio_parser::Error> {
    MsgPackParser.decoder().handle_message(message)
}

fn round_trip(packet: &Packet) -> (Encoded, Packet) {
    let encoded = MsgPackParser.encode(packet);
    assert!(encoded.attachments.is_empty());
    assert!(matches!(encoded.head, Message::Binary(_)));
    match decode(encoded.head.clone()) {
        Ok(Some(again)) => (encoded, again),
        other => panic!("{packet:?} encoded as {encoded:?} gives {other:?}"),
    }
}

fuzz_target!(|input: &[u8]| {
    assert!(decode(Message::Text(Str::from_static("2"))).is_err());
    let result = decode(Message::Binary(Bytes::copy_from_slice(input)));
    let p1 = match result {
        Ok(Some(p)) => p,
        Ok(None) => panic!("msgpack decoders never wait for more messages"),
        Err(_) => return,
    };
    assert!(p1.type_id() <= 4, "{p1:?}");
    let (e1, p2) = round_trip(&p1);
    assert!(same_packet(&p1, &p2), "{p1:?} came back as {p2:?}");
    let (e2, p3) = round_trip(&p2);
    assert_eq!(p3, p2);
    assert_eq!(e2, e1, "{p1:?} and {p2:?} encode differently");
});

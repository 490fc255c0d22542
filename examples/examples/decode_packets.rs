//! Decodes a long-polling body the way a server would, and prints every
//! layer: the engine.io packets, then the socket.io packets inside them.
//!
//! Run with `cargo run -p examples --example decode_packets`, optionally
//! with a v4 polling body as the argument, for example
//! `cargo run -p examples --example decode_packets -- '42["hi",1]'`.

use bytes::Bytes;
use engineio_protocol::{decode_payload, encode_payload, Message, Packet, PayloadFormat};
use socketio_parser::{JsonParser, Parser, ProtocolVersion, Value};

/// A body a socket.io 4 client could POST: joining `/chat` with a token,
/// an event with an ack id, then an event carrying a binary attachment.
const SAMPLE: &str = "40/chat,{\"token\":\"abc\"}\u{1e}42/chat,7[\"message\",\"héllo\",{\"n\":1}]\u{1e}451-/chat,[\"file\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAQIDBA==";

fn main() {
    let body = std::env::args().nth(1).unwrap_or_else(|| SAMPLE.to_owned());
    println!("polling body: {body:?}\n");

    let packets = match decode_payload(Bytes::from(body), PayloadFormat::V4) {
        Ok(packets) => packets,
        Err(e) => {
            eprintln!(
                "not a valid engine.io v4 payload: {e} (the server answers: {})",
                e.code().json_body(None)
            );
            std::process::exit(1);
        }
    };

    let parser = JsonParser::new(ProtocolVersion::V5);
    let mut decoder = parser.decoder();
    for packet in &packets {
        println!("engine.io {packet:?}");
        let Packet::Message(message) = packet else {
            continue;
        };
        match decoder.handle_message(message.clone()) {
            Ok(Some(packet)) => {
                println!(
                    "  socket.io {} in {:?}",
                    packet.type_name(),
                    packet.nsp().as_str()
                );
                if let Some(event) = packet.event_name() {
                    println!("    event {event:?}, ack id {:?}", packet.id());
                }
                println!("    {packet:?}");
            }
            Ok(None) => println!("  socket.io: waiting for binary attachments"),
            Err(e) => println!("  socket.io error: {e}"),
        }
    }

    // And back: the server's answer to the ack, with binary, for a
    // socket.io 2.x client that cannot take binary (engine.io v3, base64).
    let answer = socketio_parser::Packet::ack(
        "/chat",
        7,
        vec![
            Value::from("ok"),
            Value::Binary(Bytes::from_static(b"\x01\x02")),
        ],
    );
    let encoded = JsonParser::new(ProtocolVersion::V4).encode(&answer);
    let out: Vec<Packet> = encoded.messages().map(Packet::Message).collect();
    let mut body = bytes::BytesMut::new();
    encode_payload(&out, PayloadFormat::V3String, &mut body);
    println!(
        "\nreply for a socket.io 2.x client: {:?}",
        String::from_utf8_lossy(&body)
    );
    if let Message::Text(head) = encoded.head {
        println!("  (its socket.io packet: {head})");
    }
}

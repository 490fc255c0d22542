//! Fuzzes the Socket.IO JSON decoder: a sequence of text and binary messages fed to one `JsonParser` decoder.
//!
//! Input: one header byte, then messages separated by the byte `0xff`
//! (never part of UTF-8 text). Header: bit 0 set is protocol v5 (`5`),
//! clear is v4 (`4`); bits 1-4 are the attachment limit (10 for both `4`
//! and `5`). Each message starts with a kind byte: odd (`s`) is a text
//! message (invalid UTF-8 replaced by U+FFFD), even (`b`) a binary message;
//! an empty message is an empty text message.
//!
//! Checked:
//! - the boxed decoder of `parser.decoder()` agrees with a `JsonDecoder` fed
//!   the same messages, which is collecting attachments exactly when the
//!   last message returned `Ok(None)` (so an error always resets it);
//! - every decoded packet `p1`, encoded with `JsonParser::encode` (one text
//!   message then one attachment per binary node) and fed to a fresh
//!   decoder, completes on the last message and gives `p2`; `p2` encoded and
//!   decoded again gives `p3`. `p3` must equal `p2`, and `p2` must equal
//!   `p1`, numbers compared as JavaScript numbers (see `src/lib.rs`).
//!   The one known lossy case is skipped for `p1 == p2`: in v4, CONNECT data
//!   travels as a query string in the namespace, so data that is not a
//!   non-empty object of strings, or a namespace holding `?`, changes.
//!   The decoder that re-reads has no attachment limit, since `p1` may use
//!   one attachment in several placeholders.
#![no_main]

use bytes::Bytes;
use engineio_protocol::{Message, Str};
use libfuzzer_sys::fuzz_target;
use socketio_parser::{JsonDecoder, JsonParser, Packet, Parser, ProtocolVersion, Value};
use socketio_rs_fuzz::{binary_count, same_packet};

/// Encodes `packet` and decodes it with a fresh decoder.
fn round_trip(parser: &JsonParser, packet: &Packet) -> Packet {
    let encoded = parser.encode(packet);
    assert!(matches!(encoded.head, Message::Text(_)));
    assert_eq!(encoded.attachments.len(), binary_count(packet));
    let messages: Vec<Message> = encoded.messages().collect();
    let mut decoder = parser.decoder();
    for (i, message) in messages.iter().enumerate() {
        let result = decoder
            .handle_message(message.clone())
            .unwrap_or_else(|e| panic!("{packet:?} encoded as {messages:?} fails: {e}"));
        match result {
            Some(again) if i + 1 == messages.len() => return again,
            None if i + 1 < messages.len() => {}
            other => panic!("{packet:?} encoded as {messages:?}: message {i} gives {other:?}"),
        }
    }
    unreachable!("an encoding has at least one message")
}

/// Whether protocol v4 can carry this packet's CONNECT data unchanged.
fn lossy_in_v4(packet: &Packet) -> bool {
    match packet {
        Packet::Connect {
            data: Some(data),
            nsp,
        } => {
            let plain_query = matches!(data, Value::Object(entries)
                if !entries.is_empty()
                    && entries.iter().all(|(_, v)| matches!(v, Value::String(_))));
            nsp.contains('?') || !plain_query
        }
        _ => false,
    }
}

fn check(version: ProtocolVersion, p1: &Packet) {
    let parser = JsonParser::new(version).max_attachments(usize::MAX);
    let p2 = round_trip(&parser, p1);
    if !(version == ProtocolVersion::V4 && lossy_in_v4(p1)) {
        assert!(
            same_packet(p1, &p2),
            "{version:?}: {p1:?} came back as {p2:?}"
        );
    }
    let p3 = round_trip(&parser, &p2);
    assert!(
        same_packet(&p2, &p3),
        "{version:?}: {p2:?} came back as {p3:?}"
    );
}

fn message(chunk: &[u8]) -> Message {
    match chunk.split_first() {
        None => Message::Text(Str::new()),
        Some((kind, rest)) if kind & 1 == 1 => {
            Message::Text(Str::from(String::from_utf8_lossy(rest).into_owned()))
        }
        Some((_, rest)) => Message::Binary(Bytes::copy_from_slice(rest)),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&header, rest)) = input.split_first() else {
        return;
    };
    let version = if header & 1 == 1 {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V4
    };
    let max = usize::from((header >> 1) & 0x0f);
    let parser = JsonParser::new(version).max_attachments(max);
    let mut decoder = parser.decoder();
    let mut shadow = JsonDecoder::new(parser);
    for chunk in rest.split(|&b| b == 0xff) {
        let message = message(chunk);
        let result = decoder.handle_message(message.clone());
        let shadow_result = shadow.handle_text_or_binary(message);
        assert_eq!(result, shadow_result);
        assert_eq!(shadow.is_collecting(), matches!(result, Ok(None)));
        if let Ok(Some(packet)) = result {
            check(version, &packet);
        }
    }
});

trait HandleEither {
    fn handle_text_or_binary(
        &mut self,
        message: Message,
    ) -> Result<Option<Packet>, socketio_parser::Error>;
}

impl HandleEither for JsonDecoder {
    /// Through the inherent `handle_text` and `handle_binary`, not the trait.
    fn handle_text_or_binary(
        &mut self,
        message: Message,
    ) -> Result<Option<Packet>, socketio_parser::Error> {
        match message {
            Message::Text(text) => self.handle_text(&text),
            Message::Binary(data) => self.handle_binary(data),
        }
    }
}

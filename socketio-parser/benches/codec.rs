//! Encode and decode speed of socket.io packets in the JSON and msgpack formats.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engineio_protocol::Message;
use socketio_parser::{JsonParser, Packet, Parser, ProtocolVersion, Value};

fn cases() -> Vec<(&'static str, Packet)> {
    let small = Packet::event(
        "/",
        "chat message",
        vec![Value::from(
            serde_json::json!({"user": "alice", "text": "hello there"}),
        )],
        None,
    );
    let kib = Packet::event(
        "/chat",
        "update",
        vec![Value::from(serde_json::json!({
            "items": (0..24).map(|i| serde_json::json!({"id": i, "name": format!("item number {i}"), "ok": true})).collect::<Vec<_>>()
        }))],
        Some(3),
    );
    let binary = Packet::event(
        "/",
        "upload",
        vec![
            Value::from("photo.png"),
            Value::Binary(Bytes::from(vec![0xabu8; 1024])),
        ],
        Some(1),
    );
    vec![
        ("small event", small),
        ("1 KiB event", kib),
        ("binary event", binary),
    ]
}

fn bench_parser(c: &mut Criterion, name: &str, parser: &dyn Parser) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    for (case, packet) in cases() {
        let encoded = parser.encode(&packet);
        let messages: Vec<Message> = encoded.messages().collect();
        g.bench_function(format!("encode {case}"), |b| {
            b.iter(|| parser.encode(black_box(&packet)))
        });
        g.bench_function(format!("decode {case}"), |b| {
            let mut decoder = parser.decoder();
            b.iter(|| {
                let mut out = None;
                for m in &messages {
                    out = decoder.handle_message(black_box(m.clone())).ok().flatten();
                }
                out
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    bench_parser(c, "json", &JsonParser::new(ProtocolVersion::V5));
    #[cfg(feature = "msgpack")]
    bench_parser(c, "msgpack", &socketio_parser::MsgPackParser);
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Encode and decode speed of engine.io packets and polling payloads.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engineio_protocol::{
    decode_payload, encode_payload, Packet, PayloadFormat, ProtocolVersion, Str,
};

fn small_event() -> Str {
    Str::from(r#"42["chat message",{"user":"alice","text":"hello there"}]"#)
}

fn packets(n: usize) -> Vec<Packet> {
    (0..n)
        .map(|i| Packet::text(format!(r#"42["tick",{{"n":{i}}}]"#)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engineio");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode small message", |b| {
        let text = small_event();
        b.iter(|| Packet::decode_text(black_box(text.clone()), ProtocolVersion::V4))
    });
    g.bench_function("encode small message", |b| {
        let packet =
            Packet::decode_text(small_event(), ProtocolVersion::V4).unwrap_or(Packet::Noop);
        let mut out = BytesMut::with_capacity(128);
        b.iter(|| {
            out.clear();
            black_box(&packet).encode_text(ProtocolVersion::V4, &mut out);
        })
    });
    g.bench_function("encode binary 1 KiB base64", |b| {
        let packet = Packet::binary(vec![7u8; 1024]);
        let mut out = BytesMut::with_capacity(2048);
        b.iter(|| {
            out.clear();
            black_box(&packet).encode_text(ProtocolVersion::V4, &mut out);
        })
    });

    // A polling payload of 100 packets, counted per packet.
    g.throughput(Throughput::Elements(100));
    for (name, format) in [
        ("v4", PayloadFormat::V4),
        ("v3 string", PayloadFormat::V3String),
        ("v3 binary", PayloadFormat::V3Binary),
    ] {
        let packets = packets(100);
        let mut body = BytesMut::new();
        encode_payload(&packets, format, &mut body);
        let body: Bytes = body.freeze();
        g.bench_function(format!("encode payload of 100 ({name})"), |b| {
            let mut out = BytesMut::with_capacity(body.len());
            b.iter(|| {
                out.clear();
                encode_payload(black_box(&packets), format, &mut out);
            })
        });
        g.bench_function(format!("decode payload of 100 ({name})"), |b| {
            b.iter(|| decode_payload(black_box(body.clone()), format))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

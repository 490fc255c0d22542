//! The in-memory adapter's hot paths at scale: joining and leaving rooms
//! among 100 000 sockets, and fanning a broadcast out to 10 000 of them
//! (selection and the hand-over to the namespace; no network).
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use socketio_adapter::{
    AckSender, Adapter, BroadcastFlags, BroadcastOptions, InMemoryAdapter, LocalSockets, Room,
    SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};

/// A namespace that only counts what it is asked to deliver.
#[derive(Default)]
struct Counting(AtomicUsize);

impl LocalSockets for Counting {
    fn namespace(&self) -> &str {
        "/"
    }
    fn deliver(&self, sockets: &[SocketId], _: &Packet, _: &BroadcastFlags) {
        self.0.fetch_add(sockets.len(), Ordering::Relaxed);
    }
    fn deliver_with_ack(
        &self,
        s: &[SocketId],
        _: &Packet,
        _: &BroadcastFlags,
        _: AckSender,
    ) -> usize {
        s.len()
    }
    fn details(&self, _: &[SocketId]) -> Vec<SocketDetails> {
        Vec::new()
    }
    fn disconnect(&self, _: &[SocketId], _: bool) {}
    fn server_side_emit(&self, _: Vec<Value>, _: Option<AckSender>) {}
}

/// An adapter holding `sockets` sockets, each in its own room, the first
/// `in_room` of them also in `room`.
fn populated(sockets: usize, in_room: usize) -> (Arc<Counting>, InMemoryAdapter, Vec<SocketId>) {
    let local = Arc::new(Counting::default());
    let weak: Weak<dyn LocalSockets> = Arc::downgrade(&(local.clone() as Arc<dyn LocalSockets>));
    let adapter = InMemoryAdapter::new(weak);
    let ids: Vec<SocketId> = (0..sockets)
        .map(|i| SocketId::from(format!("socket-{i:08}")))
        .collect();
    let room = Room::from("room");
    for (i, id) in ids.iter().enumerate() {
        let mut rooms = vec![Room::from(id)];
        if i < in_room {
            rooms.push(room.clone());
        }
        adapter.add_all(id, &rooms);
    }
    (local, adapter, ids)
}

fn join_and_leave(c: &mut Criterion) {
    let (_local, adapter, ids) = populated(100_000, 10_000);
    let mut group = c.benchmark_group("rooms at 100 000 sockets");
    group.throughput(Throughput::Elements(1));
    let room = Room::from("room");
    let lobby = Room::from("lobby");
    let mut i = 0;
    group.bench_function("join and leave a room of 10 000", |b| {
        b.iter(|| {
            let id = &ids[50_000 + i % 50_000];
            i += 1;
            adapter.add_all(id, std::slice::from_ref(&room));
            adapter.del(id, &room);
        })
    });
    group.bench_function("join and leave a new room", |b| {
        b.iter(|| {
            let id = &ids[i % 100_000];
            i += 1;
            adapter.add_all(id, std::slice::from_ref(&lobby));
            adapter.del(id, &lobby);
        })
    });
    group.finish();
}

fn fan_out(c: &mut Criterion) {
    let (local, adapter, _ids) = populated(100_000, 10_000);
    let packet = Packet::event("/", "news", vec![Value::from("hello")], None);
    let mut group = c.benchmark_group("fan-out");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("broadcast to a room of 10 000 among 100 000", |b| {
        b.iter(|| {
            let opts = BroadcastOptions {
                rooms: [Room::from("room")].into(),
                ..BroadcastOptions::default()
            };
            adapter
                .broadcast(black_box(packet.clone()), opts)
                .expect("broadcast");
        })
    });
    group.finish();
    let (local_all, all, _) = populated(10_000, 0);
    let mut group = c.benchmark_group("fan-out");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("broadcast to all of 10 000", |b| {
        b.iter(|| {
            all.broadcast(black_box(packet.clone()), BroadcastOptions::default())
                .expect("broadcast");
        })
    });
    group.finish();
    assert!(local.0.load(Ordering::Relaxed) > 0 && local_all.0.load(Ordering::Relaxed) > 0);
}

criterion_group!(benches, join_and_leave, fan_out);
criterion_main!(benches);

//! The in-memory adapter with a recording namespace.

use std::sync::Mutex;

use super::*;
use crate::{ack_channel, AckEvent, BroadcastFlags, Handshake};

/// Records what the adapter asks of the namespace.
#[derive(Default)]
struct Recording {
    delivered: Mutex<Vec<(Vec<SocketId>, Packet)>>,
    disconnected: Mutex<Vec<(Vec<SocketId>, bool)>>,
}

impl LocalSockets for Recording {
    fn namespace(&self) -> &str {
        "/"
    }
    fn deliver(&self, sockets: &[SocketId], packet: &Packet, _: &BroadcastFlags) {
        let mut sorted = sockets.to_vec();
        sorted.sort();
        self.delivered
            .lock()
            .unwrap()
            .push((sorted, packet.clone()));
    }
    fn deliver_with_ack(
        &self,
        sockets: &[SocketId],
        _: &Packet,
        _: &BroadcastFlags,
        acks: AckSender,
    ) -> usize {
        for id in sockets {
            acks.answer(vec![Value::from(id.as_str())]);
        }
        sockets.len()
    }
    fn details(&self, sockets: &[SocketId]) -> Vec<SocketDetails> {
        sockets
            .iter()
            .map(|id| SocketDetails {
                id: id.clone(),
                rooms: HashSet::new(),
                handshake: Handshake {
                    headers: vec![],
                    time: String::new(),
                    address: "127.0.0.1".into(),
                    xdomain: false,
                    secure: false,
                    issued: 0,
                    url: "/".into(),
                    query: vec![],
                    auth: Value::Null,
                },
                data: Value::Null,
            })
            .collect()
    }
    fn disconnect(&self, sockets: &[SocketId], close: bool) {
        let mut sorted = sockets.to_vec();
        sorted.sort();
        self.disconnected.lock().unwrap().push((sorted, close));
    }
    fn server_side_emit(&self, _: Vec<Value>, _: Option<AckSender>) {}
}

fn setup() -> (Arc<Recording>, InMemoryAdapter, [SocketId; 3]) {
    let recording = Arc::new(Recording::default());
    let local: Arc<dyn LocalSockets> = recording.clone();
    let adapter = InMemoryAdapter::new(Arc::downgrade(&local));
    // Keep the namespace alive through `recording`.
    drop(local);
    let ids = [
        SocketId::from("a"),
        SocketId::from("b"),
        SocketId::from("c"),
    ];
    for id in &ids {
        adapter.add_all(id, &[Room::from(id)]);
    }
    adapter.add_all(&ids[0], &[Room::from("red")]);
    adapter.add_all(&ids[1], &[Room::from("red"), Room::from("blue")]);
    (recording, adapter, ids)
}

fn rooms(names: &[&str]) -> HashSet<Room> {
    names.iter().map(|n| Room::from(*n)).collect()
}

fn event() -> Packet {
    Packet::event("/", "hi", vec![], None)
}

#[test]
fn membership_is_indexed_both_ways() {
    let (_, adapter, [a, b, c]) = setup();
    assert_eq!(adapter.socket_rooms(&b), rooms(&["b", "red", "blue"]));
    assert_eq!(
        adapter.sockets(&rooms(&["red"])),
        HashSet::from([a.clone(), b.clone()])
    );
    assert_eq!(adapter.sockets(&HashSet::new()).len(), 3);
    adapter.del(&b, &Room::from("red"));
    assert_eq!(
        adapter.sockets(&rooms(&["red"])),
        HashSet::from([a.clone()])
    );
    assert!(adapter.has_room("red") && adapter.has_room("a"));
    adapter.del_all(&a);
    assert!(adapter.socket_rooms(&a).is_empty());
    assert!(!adapter.has_room("red") && !adapter.has_room("a"));
    assert_eq!(adapter.rooms(), rooms(&["b", "c", "blue"]));
    assert_eq!(adapter.sockets(&HashSet::new()), HashSet::from([b, c]));
}

#[test]
fn room_events_come_in_nodes_order() {
    let recording = Arc::new(Recording::default());
    let local: Arc<dyn LocalSockets> = recording;
    let adapter = InMemoryAdapter::new(Arc::downgrade(&local));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    adapter.on_room_event(Arc::new(move |e: &RoomEvent| {
        sink.lock().unwrap().push(e.clone())
    }));
    let a = SocketId::from("a");
    let room = Room::from("r");
    adapter.add_all(&a, std::slice::from_ref(&room));
    adapter.add_all(&a, std::slice::from_ref(&room));
    adapter.del_all(&a);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            RoomEvent::Create(room.clone()),
            RoomEvent::Join(room.clone(), a.clone()),
            RoomEvent::Leave(room.clone(), a),
            RoomEvent::Delete(room),
        ]
    );
}

#[test]
fn broadcasts_select_rooms_minus_excepted_rooms() {
    let (recording, adapter, [a, b, c]) = setup();
    let cases = [
        (vec![], vec![], vec![&a, &b, &c]),
        (vec!["red"], vec![], vec![&a, &b]),
        (vec!["red", "blue"], vec![], vec![&a, &b]),
        (vec!["red"], vec!["blue"], vec![&a]),
        (vec![], vec!["a"], vec![&b, &c]),
        (vec!["nobody"], vec![], vec![]),
    ];
    for (to, except, expected) in cases {
        let opts = BroadcastOptions {
            rooms: rooms(&to),
            except: rooms(&except),
            flags: BroadcastFlags::default(),
        };
        adapter.broadcast(event(), opts).unwrap();
        let (got, packet) = recording.delivered.lock().unwrap().pop().unwrap();
        assert_eq!(
            got,
            expected.into_iter().cloned().collect::<Vec<_>>(),
            "to {to:?} except {except:?}"
        );
        assert_eq!(packet, event());
    }
}

#[tokio::test]
async fn requests_apply_to_the_selected_local_sockets() {
    let (recording, adapter, [a, b, c]) = setup();
    let red = BroadcastOptions {
        rooms: rooms(&["red"]),
        ..BroadcastOptions::default()
    };
    let mut fetched: Vec<_> = adapter
        .fetch_sockets(red.clone())
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    fetched.sort();
    assert_eq!(fetched, vec![a.clone(), b.clone()]);

    adapter
        .add_sockets(red.clone(), vec![Room::from("green")])
        .await
        .unwrap();
    assert_eq!(
        adapter.sockets(&rooms(&["green"])),
        HashSet::from([a.clone(), b.clone()])
    );
    adapter
        .del_sockets(BroadcastOptions::socket(&a), vec![Room::from("green")])
        .await
        .unwrap();
    assert_eq!(
        adapter.sockets(&rooms(&["green"])),
        HashSet::from([b.clone()])
    );

    adapter
        .disconnect_sockets(BroadcastOptions::socket(&c), true)
        .await
        .unwrap();
    assert_eq!(
        *recording.disconnected.lock().unwrap(),
        vec![(vec![c], true)]
    );

    let (tx, mut rx) = ack_channel();
    adapter.broadcast_with_ack(event(), red, tx).await.unwrap();
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    assert_eq!(events.len(), 3);
    assert_eq!(events[2], AckEvent::Expect(2));

    assert_eq!(adapter.server_count().await.unwrap(), 1);
    let (tx, mut rx) = ack_channel();
    adapter
        .server_side_emit(vec![Value::from("ping")], Some(tx))
        .await
        .unwrap();
    assert_eq!(
        rx.recv().await,
        Some(AckEvent::Expect(0)),
        "no other server"
    );
}

#[test]
fn nothing_is_delivered_once_the_namespace_is_gone() {
    let local: Arc<dyn LocalSockets> = Arc::new(Recording::default());
    let adapter = InMemoryAdapter::new(Arc::downgrade(&local));
    adapter.add_all(&SocketId::from("a"), &[Room::from("r")]);
    drop(local);
    adapter.broadcast(event(), BroadcastOptions::all()).unwrap();
    assert!(adapter.local().is_none());
}

//! The recording adapter against a fake namespace that records what it is
//! asked to do.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use socketio_adapter::{
    ack_channel, AckEvent, AckSender, Adapter, AdapterFactory, BroadcastFlags, BroadcastOptions,
    Handshake, LocalSockets, PersistedSession, Room, RoomEvent, SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};

use crate::{Log, RecordingAdapter};

/// A namespace that records deliveries and disconnections. Its `details`
/// asks the adapter for the socket's rooms, as the server's does.
#[derive(Default)]
struct Namespace {
    delivered: Mutex<Vec<(Vec<SocketId>, BroadcastFlags)>>,
    disconnected: Mutex<Vec<(Vec<SocketId>, bool)>>,
    adapter: OnceLock<Weak<dyn Adapter>>,
}

impl LocalSockets for Namespace {
    fn namespace(&self) -> &str {
        "/chat"
    }
    fn deliver(&self, sockets: &[SocketId], _: &Packet, flags: &BroadcastFlags) {
        self.delivered
            .lock()
            .unwrap()
            .push((sockets.to_vec(), flags.clone()));
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
        let adapter = self.adapter.get().and_then(Weak::upgrade).unwrap();
        sockets
            .iter()
            .map(|id| SocketDetails {
                id: id.clone(),
                rooms: adapter.socket_rooms(id),
                handshake: handshake(),
                data: Value::Null,
            })
            .collect()
    }
    fn disconnect(&self, sockets: &[SocketId], close: bool) {
        self.disconnected
            .lock()
            .unwrap()
            .push((sockets.to_vec(), close));
    }
    fn server_side_emit(&self, _: Vec<Value>, _: Option<AckSender>) {}
}

fn handshake() -> Handshake {
    Handshake {
        headers: vec![],
        time: String::new(),
        address: "127.0.0.1".into(),
        xdomain: false,
        secure: false,
        issued: 0,
        url: "/".into(),
        query: vec![],
        auth: Value::Null,
    }
}

struct Setup {
    ns: Arc<Namespace>,
    adapter: Arc<dyn Adapter>,
    log: Log,
    ids: [SocketId; 3],
}

/// Sockets `a`, `b`, `c` in their own rooms; `a` and `b` in `lobby`, `c`
/// in `games`. The log starts empty after that.
fn setup() -> Setup {
    let ns = Arc::new(Namespace::default());
    let local: Arc<dyn LocalSockets> = ns.clone();
    let (factory, log) = RecordingAdapter::factory();
    let adapter = factory.create(Arc::downgrade(&local));
    ns.adapter.set(Arc::downgrade(&adapter)).ok().unwrap();
    let ids = [
        SocketId::from("a"),
        SocketId::from("b"),
        SocketId::from("c"),
    ];
    for id in &ids {
        adapter.add_all(id, &[Room::from(id)]);
    }
    adapter.add_all(&ids[0], &[Room::from("lobby")]);
    adapter.add_all(&ids[1], &[Room::from("lobby")]);
    adapter.add_all(&ids[2], &[Room::from("games")]);
    log.clear();
    Setup {
        ns,
        adapter,
        log,
        ids,
    }
}

fn rooms(names: &[&str]) -> HashSet<Room> {
    names.iter().map(|&n| Room::from(n)).collect()
}

fn ids(names: &[&str]) -> Vec<SocketId> {
    names.iter().map(|&n| SocketId::from(n)).collect()
}

fn opts(to: &[&str], except: &[&str]) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms(to),
        except: rooms(except),
        flags: BroadcastFlags::default(),
    }
}

fn packet() -> Packet {
    Packet::event("/chat", "news", vec![], None)
}

#[test]
fn the_factory_records_the_creation_of_each_adapter() {
    let ns: Arc<dyn LocalSockets> = Arc::new(Namespace::default());
    let (factory, log) = RecordingAdapter::factory();
    let _first = factory.create(Arc::downgrade(&ns));
    let _second = factory.create(Arc::downgrade(&ns));
    assert_eq!(log.entries(), ["create /chat", "create /chat"]);
}

#[test]
fn membership_is_kept_both_ways_and_empty_rooms_go() {
    let s = setup();
    let [a, b, c] = &s.ids;
    assert_eq!(s.adapter.socket_rooms(a), rooms(&["a", "lobby"]));
    assert_eq!(
        s.adapter.sockets(&rooms(&["lobby"])),
        HashSet::from([a.clone(), b.clone()])
    );
    assert_eq!(s.adapter.sockets(&HashSet::new()).len(), 3, "every socket");
    assert_eq!(s.adapter.rooms(), rooms(&["a", "b", "c", "lobby", "games"]));

    s.adapter.del(c, &Room::from("games"));
    assert_eq!(s.adapter.socket_rooms(c), rooms(&["c"]));
    assert!(!s.adapter.rooms().contains("games"));

    s.adapter.del_all(a);
    assert!(s.adapter.socket_rooms(a).is_empty());
    assert_eq!(
        s.adapter.sockets(&rooms(&["lobby"])),
        HashSet::from([b.clone()])
    );
    assert_eq!(s.adapter.rooms(), rooms(&["b", "c", "lobby"]));
}

#[test]
fn broadcast_reaches_the_rooms_minus_the_excepted_with_the_flags() {
    let s = setup();
    s.adapter
        .broadcast(packet(), opts(&["lobby"], &[]))
        .unwrap();
    s.adapter.broadcast(packet(), opts(&[], &["a"])).unwrap();
    s.adapter
        .broadcast(packet(), opts(&["lobby", "games"], &["lobby"]))
        .unwrap();
    let mut flagged = opts(&["a", "lobby"], &[]);
    flagged.flags = BroadcastFlags {
        local: true,
        volatile: true,
        compress: false,
        timeout: Some(Duration::from_secs(1)),
    };
    s.adapter.broadcast(packet(), flagged.clone()).unwrap();

    let delivered = s.ns.delivered.lock().unwrap().clone();
    let targets: Vec<Vec<SocketId>> = delivered.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(
        targets,
        [
            ids(&["a", "b"]),
            ids(&["b", "c"]),
            ids(&["c"]),
            ids(&["a", "b"])
        ],
        "each socket once, sorted"
    );
    assert_eq!(
        delivered[3].1, flagged.flags,
        "the flags reach the namespace"
    );
    assert_eq!(
        s.log.entries(),
        [
            "broadcast rooms=[lobby] except=[]",
            "broadcast rooms=[] except=[a]",
            "broadcast rooms=[games, lobby] except=[lobby]",
            "broadcast rooms=[a, lobby] except=[] local volatile uncompressed timeout=1s",
        ]
    );
}

#[tokio::test]
async fn broadcast_with_ack_announces_the_local_count_then_the_answers() {
    let s = setup();
    let (tx, mut rx) = ack_channel();
    s.adapter
        .broadcast_with_ack(packet(), opts(&["lobby"], &["b"]), tx)
        .await
        .unwrap();
    assert_eq!(
        rx.recv().await,
        Some(AckEvent::Answer(vec![Value::from("a")]))
    );
    assert_eq!(rx.recv().await, Some(AckEvent::Expect(1)));
    assert_eq!(rx.recv().await, None, "nobody else answers");
}

#[tokio::test]
async fn fetch_sockets_may_call_back_into_the_adapter() {
    let s = setup();
    let details = s
        .adapter
        .fetch_sockets(opts(&["lobby"], &[]))
        .await
        .unwrap();
    let found: Vec<(SocketId, HashSet<Room>)> =
        details.into_iter().map(|d| (d.id, d.rooms)).collect();
    assert_eq!(
        found,
        [
            (s.ids[0].clone(), rooms(&["a", "lobby"])),
            (s.ids[1].clone(), rooms(&["b", "lobby"])),
        ]
    );
    assert_eq!(
        s.log.entries(),
        [
            "fetch_sockets rooms=[lobby] except=[]",
            "socket_rooms a",
            "socket_rooms b"
        ]
    );
}

#[tokio::test]
async fn add_and_del_sockets_change_the_selected_sockets_only() {
    let s = setup();
    s.adapter
        .add_sockets(opts(&["lobby"], &["a"]), vec![Room::from("vip")])
        .await
        .unwrap();
    assert_eq!(
        s.adapter.sockets(&rooms(&["vip"])),
        HashSet::from([s.ids[1].clone()])
    );
    s.adapter
        .del_sockets(opts(&[], &[]), vec![Room::from("lobby"), Room::from("vip")])
        .await
        .unwrap();
    assert_eq!(s.adapter.rooms(), rooms(&["a", "b", "c", "games"]));
    assert_eq!(
        s.log.entries(),
        [
            "add_sockets rooms=[lobby] except=[a] join=[vip]",
            "sockets [vip]",
            "del_sockets rooms=[] except=[] leave=[lobby, vip]",
            "rooms",
        ]
    );
}

#[tokio::test]
async fn disconnect_sockets_asks_the_namespace() {
    let s = setup();
    s.adapter
        .disconnect_sockets(opts(&["games", "lobby"], &["b"]), true)
        .await
        .unwrap();
    assert_eq!(
        *s.ns.disconnected.lock().unwrap(),
        [(ids(&["a", "c"]), true)]
    );
    assert_eq!(
        s.log.entries(),
        ["disconnect_sockets rooms=[games, lobby] except=[b] close=true"]
    );
}

#[tokio::test]
async fn one_server_keeps_no_session_and_asks_no_other_server() {
    let s = setup();
    assert_eq!(s.adapter.server_count().await.unwrap(), 1);

    let (tx, mut rx) = ack_channel();
    s.adapter
        .server_side_emit(vec![Value::from("ping")], Some(tx))
        .await
        .unwrap();
    assert_eq!(rx.recv().await, Some(AckEvent::Expect(0)));
    assert_eq!(rx.recv().await, None);

    let session = PersistedSession {
        sid: s.ids[0].clone(),
        pid: "p1".into(),
        rooms: rooms(&["a", "lobby"]),
        data: Value::Null,
    };
    s.adapter.persist_session(session).await.unwrap();
    assert_eq!(s.adapter.restore_session("p1", "0").await.unwrap(), None);
    assert_eq!(
        s.log.entries(),
        [
            "server_count",
            "server_side_emit ping",
            "persist_session a",
            "restore_session p1"
        ]
    );
}

#[test]
fn room_events_follow_each_change() {
    let s = setup();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    s.adapter.on_room_event(Arc::new(move |e: &RoomEvent| {
        sink.lock().unwrap().push(e.clone())
    }));
    let a = &s.ids[0];
    s.adapter
        .add_all(a, &[Room::from("new"), Room::from("lobby")]);
    s.adapter.del(a, &Room::from("new"));
    s.adapter.del(a, &Room::from("new"));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            RoomEvent::Create(Room::from("new")),
            RoomEvent::Join(Room::from("new"), a.clone()),
            RoomEvent::Leave(Room::from("new"), a.clone()),
            RoomEvent::Delete(Room::from("new")),
        ],
        "joining a room twice or leaving it twice changes nothing"
    );
    assert_eq!(
        s.log.entries(),
        [
            "on_room_event",
            "add_all a [lobby, new]",
            "del a new",
            "del a new"
        ]
    );
}

#[tokio::test]
async fn init_and_close_are_recorded_and_close_forgets_every_room() {
    let s = setup();
    s.adapter.init().await.unwrap();
    s.adapter.close().await.unwrap();
    assert!(s.adapter.rooms().is_empty());
    assert_eq!(s.log.entries(), ["init /chat", "close /chat", "rooms"]);
}

#[tokio::test]
async fn without_its_namespace_the_adapter_reaches_no_socket() {
    let Setup { ns, adapter, .. } = setup();
    drop(ns);
    adapter.broadcast(packet(), opts(&[], &[])).unwrap();
    assert!(adapter
        .fetch_sockets(opts(&[], &[]))
        .await
        .unwrap()
        .is_empty());
    // The membership is still there, for the server to clean up.
    assert_eq!(adapter.sockets(&HashSet::new()).len(), 3);
}

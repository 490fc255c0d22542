//! A third-party adapter plugged into the server: `test-adapter`'s
//! `RecordingAdapter`, built on `socketio-adapter` alone, keeps the rooms
//! and delivers the broadcasts, as a user sees over real sockets.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use socketio_server::{Room, Server, Socket};
use support::{joined, next, start_with, Ws};
use test_adapter::{Log, RecordingAdapter};
use tokio::sync::mpsc;

mod support;

/// A server whose namespaces get a `RecordingAdapter`, and its log, once
/// the adapter of `/` has started.
async fn start() -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>, Log) {
    let (factory, log) = RecordingAdapter::factory();
    let builder = Server::builder()
        .connect_timeout(Duration::from_millis(200))
        .adapter(factory);
    let (io, addr, sockets) = start_with(builder).await;
    logged(&log, "init /").await;
    (io, addr, sockets, log)
}

/// Three clients in `/`, with their sockets on the server.
async fn three(
    addr: SocketAddr,
    sockets: &mut mpsc::UnboundedReceiver<Socket>,
) -> [(Ws, Socket); 3] {
    [
        joined(addr, sockets).await,
        joined(addr, sockets).await,
        joined(addr, sockets).await,
    ]
}

/// Waits until the log holds `entry` (the server starts adapters in the
/// background), failing after 5 s.
async fn logged(log: &Log, entry: &str) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while !log.entries().iter().any(|e| e == entry) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{entry:?} not in {:?}", log.entries()));
}

/// Sends `end` to every client: one that reads `end` next got nothing
/// from the broadcasts sent before it.
fn mark_end(io: &Server) {
    io.emit("end", ()).unwrap();
}

#[tokio::test]
async fn each_namespace_gets_the_custom_adapter_created_and_started() {
    let (io, _addr, _sockets, log) = start().await;
    io.of("/chat");
    logged(&log, "init /chat").await;
    let entries = log.entries();
    let position = |entry: &str| entries.iter().position(|e| e == entry).unwrap();
    assert!(position("create /") < position("init /"));
    assert!(position("create /chat") < position("init /chat"));
}

#[tokio::test]
async fn a_connected_socket_is_in_its_own_room_in_the_custom_adapter() {
    let (_io, addr, mut sockets, log) = start().await;
    let (_ws, socket) = joined(addr, &mut sockets).await;
    let id = socket.id();
    assert!(log.entries().contains(&format!("add_all {id} [{id}]")));
    assert_eq!(socket.rooms(), HashSet::from([Room::from(id)]));
}

#[tokio::test]
async fn to_room_reaches_exactly_the_clients_that_joined_it() {
    let (io, addr, mut sockets, log) = start().await;
    let [(mut ws_a, a), (mut ws_b, b), (mut ws_c, _c)] = three(addr, &mut sockets).await;
    a.join(["lobby"]);
    b.join(["lobby"]);
    assert_eq!(
        io.to("lobby").all_sockets(),
        HashSet::from([a.id().clone(), b.id().clone()])
    );

    io.to("lobby").emit("news", ("hi",)).unwrap();
    mark_end(&io);
    assert_eq!(next(&mut ws_a).await.unwrap(), r#"42["news","hi"]"#);
    assert_eq!(next(&mut ws_b).await.unwrap(), r#"42["news","hi"]"#);
    assert_eq!(
        next(&mut ws_c).await.unwrap(),
        r#"42["end"]"#,
        "not in the room"
    );

    let entries = log.entries();
    assert!(entries.contains(&format!("add_all {} [lobby]", a.id())));
    assert!(entries.contains(&format!("add_all {} [lobby]", b.id())));
    assert!(entries.contains(&"broadcast rooms=[lobby] except=[]".to_owned()));
}

#[tokio::test]
async fn a_socket_broadcast_leaves_the_sender_out() {
    let (io, addr, mut sockets, log) = start().await;
    let [(mut ws_a, a), (mut ws_b, _b), (mut ws_c, _c)] = three(addr, &mut sockets).await;

    a.broadcast().emit("hey", ("from a",)).unwrap();
    mark_end(&io);
    assert_eq!(next(&mut ws_b).await.unwrap(), r#"42["hey","from a"]"#);
    assert_eq!(next(&mut ws_c).await.unwrap(), r#"42["hey","from a"]"#);
    assert_eq!(
        next(&mut ws_a).await.unwrap(),
        r#"42["end"]"#,
        "not the sender"
    );
    assert!(log
        .entries()
        .contains(&format!("broadcast rooms=[] except=[{}]", a.id())));
}

#[tokio::test]
async fn socket_rooms_come_from_the_custom_adapter() {
    let (_io, addr, mut sockets, log) = start().await;
    let (_ws, socket) = joined(addr, &mut sockets).await;
    let id = socket.id().clone();
    socket.join(["lobby", "games"]);
    log.clear();
    assert_eq!(
        socket.rooms(),
        HashSet::from([Room::from(&id), Room::from("lobby"), Room::from("games")])
    );
    socket.leave("games");
    assert_eq!(
        socket.rooms(),
        HashSet::from([Room::from(&id), Room::from("lobby")])
    );
    assert_eq!(
        log.entries(),
        [
            format!("socket_rooms {id}"),
            format!("del {id} games"),
            format!("socket_rooms {id}"),
        ]
    );
}

#[tokio::test]
async fn closing_the_server_closes_the_custom_adapters() {
    let (io, addr, mut sockets, log) = start().await;
    io.of("/chat");
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    logged(&log, "init /chat").await;

    io.close().await;
    let entries = log.entries();
    assert!(entries.contains(&"close /".to_owned()), "{entries:?}");
    assert!(entries.contains(&"close /chat".to_owned()), "{entries:?}");
    // The socket left its rooms and the connection is gone.
    logged(&log, &format!("del_all {}", socket.id())).await;
    while next(&mut ws).await.is_some() {}
}

#[tokio::test]
async fn an_adapter_is_told_whether_and_how_long_sessions_are_recovered() {
    use socketio_adapter::{Adapter, AdapterFactory, InMemoryAdapter, LocalSockets};
    use socketio_server::Recovery;
    use std::sync::{Arc, Mutex, Weak};

    /// A factory that notes what each namespace says of recovery.
    fn noting(seen: Arc<Mutex<Vec<Option<Duration>>>>) -> impl AdapterFactory {
        move |sockets: Weak<dyn LocalSockets>| {
            let recovery = sockets.upgrade().and_then(|s| s.recovery());
            seen.lock().unwrap().push(recovery);
            Arc::new(InMemoryAdapter::new(sockets)) as Arc<dyn Adapter>
        }
    }

    let seen = Arc::new(Mutex::new(Vec::new()));
    let _io = Server::builder()
        .connection_state_recovery(
            Recovery::default().max_disconnection_duration(Duration::from_secs(30)),
        )
        .adapter(noting(seen.clone()))
        .build();
    let _plain = Server::builder().adapter(noting(seen.clone())).build();
    assert_eq!(*seen.lock().unwrap(), [Some(Duration::from_secs(30)), None]);
}

#[tokio::test]
async fn with_recovery_every_emit_of_a_socket_goes_through_the_adapter() {
    // Node's `socket.emit` under connection state recovery: a broadcast to
    // the socket's own room, so that the adapter can keep it (a volatile
    // event or one with an ack is delivered, not kept).
    let (factory, log) = RecordingAdapter::factory();
    let builder = Server::builder()
        .connection_state_recovery(socketio_server::Recovery::default())
        .adapter(factory);
    let (_io, addr, mut sockets) = start_with(builder).await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let id = socket.id().to_string();
    socket.emit("plain", 1).unwrap();
    socket.volatile().emit("volatile", 2).unwrap();
    let asking = socket.clone();
    let answer = tokio::spawn(async move {
        asking
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<i64>("asks", 3)
            .await
    });
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["plain",1]"#);
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["volatile",2]"#);
    let asked = next(&mut ws).await.unwrap();
    let ack_id = asked
        .strip_prefix("42")
        .and_then(|rest| rest.strip_suffix(r#"["asks",3]"#))
        .unwrap_or_else(|| panic!("an event with an ack id: {asked}"));
    support::send(&mut ws, &format!("43{ack_id}[4]")).await;
    assert_eq!(answer.await.unwrap().unwrap(), 4);
    let broadcasts: Vec<String> = log
        .entries()
        .into_iter()
        .filter(|e| e.starts_with("broadcast "))
        .collect();
    assert_eq!(
        broadcasts,
        [
            format!("broadcast rooms=[{id}] except=[]"),
            format!("broadcast rooms=[{id}] except=[] volatile"),
            format!("broadcast rooms=[{id}] except=[]"),
        ]
    );
}

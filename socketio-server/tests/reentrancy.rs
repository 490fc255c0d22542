//! No user code runs under a lock of the server: from inside every kind of
//! handler (connection, namespace and packet middleware, any and
//! any-outgoing listeners, error, disconnecting and disconnect handlers,
//! server-side emit handlers, the adapter's room listeners), the whole API
//! works: emit, broadcast, join, leave, `fetch_sockets`, disconnect another
//! socket and itself, close the server. A lock held around any of them
//! would deadlock one of these tests: it fails on its reads' timeouts, or
//! hangs.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex, Weak};

use socketio_adapter::{Adapter, InMemoryAdapter, LocalSockets, RoomEvent};
use socketio_server::{Error, Server, Socket, SocketId, Value};
use support::{client, joined, next, send, start, start_with, Ws};

mod support;

/// Everything a handler may do with its socket: join and leave, emit to
/// itself, to the others, to a room and to all, count the sockets with
/// `fetch_sockets`, disconnect `other`, then itself.
async fn whole_api(s: Socket, other: Option<SocketId>) {
    s.join(["r"]);
    let _ = s.emit("self", ());
    let _ = s.broadcast().emit("others", ());
    let _ = s.to("r").emit("room", ());
    let _ = s.namespace().emit("all", ());
    s.leave("r");
    let found = s.namespace().fetch_sockets().await.map(|f| f.len());
    let _ = s.emit("count", found.unwrap_or(0));
    if let Some(other) = other.and_then(|id| s.namespace().socket(id.as_str())) {
        other.disconnect(false);
    }
    s.disconnect(false);
}

/// The text packets a client reads until its socket is disconnected (`41`).
async fn until_disconnected(ws: &mut Ws) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(packet) = next(ws).await {
        if packet == "41" {
            return seen;
        }
        seen.push(packet);
    }
    panic!("connection closed before DISCONNECT; saw {seen:?}");
}

/// What the acting client and the other one see when `whole_api` ran with
/// two sockets in `/`.
async fn assert_whole_api_seen(acting: &mut Ws, other: &mut Ws) {
    let seen = until_disconnected(acting).await;
    for expected in [r#"42["self"]"#, r#"42["all"]"#, r#"42["count",2]"#] {
        assert!(seen.iter().any(|p| p == expected), "{expected} in {seen:?}");
    }
    let seen = until_disconnected(other).await;
    for expected in [r#"42["others"]"#, r#"42["all"]"#] {
        assert!(seen.iter().any(|p| p == expected), "{expected} in {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_connection_handler() {
    let io = Server::builder().build();
    let first: Arc<std::sync::Mutex<Option<SocketId>>> = Arc::default();
    let seen = first.clone();
    io.on_connection(move |s: Socket| {
        let seen = seen.clone();
        async move {
            let earlier = seen.lock().unwrap().replace(s.id().clone());
            if earlier.is_some() {
                whole_api(s, earlier).await;
            }
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut a = client(addr).await;
    send(&mut a, "40").await;
    assert!(next(&mut a).await.unwrap().starts_with("40{"));
    let mut b = client(addr).await;
    send(&mut b, "40").await;
    assert!(next(&mut b).await.unwrap().starts_with("40{"));
    assert_whole_api_seen(&mut b, &mut a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_namespace_middleware() {
    let (io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let ns = io.of("/");
    let first = a_socket.id().clone();
    ns.middleware(move || {
        let (ns, first) = (io.of("/"), first.clone());
        async move {
            let _ = ns.emit("before", ());
            let count = ns.fetch_sockets().await.map(|f| f.len()).unwrap_or(0);
            let _ = ns.emit("count", count);
            if let Some(first) = ns.socket(first.as_str()) {
                first.join(["r"]);
                first.leave("r");
                first.disconnect(false);
            }
            Ok::<(), Error>(())
        }
    });
    let mut b = client(addr).await;
    send(&mut b, "40").await;
    let seen = until_disconnected(&mut a).await;
    assert_eq!(seen, [r#"42["before"]"#, r#"42["count",1]"#]);
    assert!(
        next(&mut b).await.unwrap().starts_with("40{"),
        "b joins after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_packet_middleware_and_error_handlers() {
    let (_io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let (mut b, b_socket) = joined(addr, &mut sockets).await;
    let other = a_socket.id().clone();
    b_socket.middleware(move |s: Socket, packet: Vec<Value>| {
        let other = other.clone();
        async move {
            if packet.first() == Some(&Value::from("refuse")) {
                return Err(Error::refused("no"));
            }
            whole_api(s, Some(other)).await;
            Ok(packet)
        }
    });
    send(&mut b, r#"42["go"]"#).await;
    assert_whole_api_seen(&mut b, &mut a).await;

    // The error handler of a refusal, likewise.
    let (mut c, c_socket) = joined(addr, &mut sockets).await;
    let (mut d, d_socket) = joined(addr, &mut sockets).await;
    let other = c_socket.id().clone();
    d_socket.middleware(|_s: Socket, _packet: Vec<Value>| async { Err(Error::refused("no")) });
    d_socket.on_error(move |s: Socket, _e: Error| whole_api(s, Some(other.clone())));
    send(&mut d, r#"42["anything"]"#).await;
    assert_whole_api_seen(&mut d, &mut c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_any_and_any_outgoing_listeners() {
    let (_io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let (mut b, b_socket) = joined(addr, &mut sockets).await;
    let other = a_socket.id().clone();
    b_socket.on_any(move |s: Socket, _event: String, _args: Vec<Value>| {
        whole_api(s, Some(other.clone()))
    });
    send(&mut b, r#"42["go"]"#).await;
    assert_whole_api_seen(&mut b, &mut a).await;

    // An outgoing listener acts on the one event that starts it (its own
    // emits come through it too).
    let (mut c, c_socket) = joined(addr, &mut sockets).await;
    let (mut d, d_socket) = joined(addr, &mut sockets).await;
    let other = c_socket.id().clone();
    d_socket.on_any_outgoing(move |s: Socket, event: String, _args: Vec<Value>| {
        let other = other.clone();
        async move {
            if event == "start" {
                whole_api(s, Some(other)).await;
            }
        }
    });
    // As in Node, outgoing listeners hear an event before it is sent.
    let _ = d_socket.emit("start", ());
    assert_whole_api_seen(&mut d, &mut c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_disconnecting_and_disconnect_handlers() {
    let (_io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let (mut b, b_socket) = joined(addr, &mut sockets).await;
    let (mut c, c_socket) = joined(addr, &mut sockets).await;
    // b leaves; while leaving (still in its rooms) and once gone, it uses
    // the API on the others: a is disconnected from the first, c from the
    // second.
    let a_id = a_socket.id().clone();
    b_socket.on_disconnecting(move |s: Socket, _reason| {
        let a_id = a_id.clone();
        async move {
            let _ = s.broadcast().emit("leaving", ());
            let _ = s.to("r").emit("room", ());
            s.join(["late"]);
            let count = s.namespace().fetch_sockets().await.map(|f| f.len());
            let _ = s.namespace().emit("count", count.unwrap_or(0));
            if let Some(a) = s.namespace().socket(a_id.as_str()) {
                a.disconnect(false);
            }
            s.disconnect(false);
        }
    });
    let c_id = c_socket.id().clone();
    b_socket.on_disconnect(move |s: Socket, _reason| {
        let c_id = c_id.clone();
        async move {
            assert!(!s.connected());
            let _ = s.namespace().emit("gone", ());
            if let Some(c) = s.namespace().socket(c_id.as_str()) {
                c.join(["r"]);
                c.leave("r");
                c.disconnect(false);
            }
        }
    });
    send(&mut b, "41").await;
    let seen = until_disconnected(&mut a).await;
    assert_eq!(seen, [r#"42["leaving"]"#, r#"42["count",3]"#]);
    let seen = until_disconnected(&mut c).await;
    assert_eq!(
        seen,
        [r#"42["leaving"]"#, r#"42["count",3]"#, r#"42["gone"]"#]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_server_side_emit_and_room_listeners() {
    // The adapter's view of the namespace's sockets, as a cluster adapter
    // holds it to hand over what other servers send.
    let local: Arc<Mutex<Option<Weak<dyn LocalSockets>>>> = Arc::default();
    let slot = local.clone();
    let builder = Server::builder().adapter(move |sockets: Weak<dyn LocalSockets>| {
        *slot.lock().unwrap() = Some(sockets.clone());
        Arc::new(InMemoryAdapter::new(sockets)) as Arc<dyn Adapter>
    });
    let (io, addr, mut sockets) = start_with(builder).await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let ns = io.of("/");
    let listener_ns = ns.clone();
    ns.on_server_side_emit(move |args, _reply| {
        if args.first() == Some(&Value::from("ping")) {
            let _ = listener_ns.emit("pinged", ());
            for socket in listener_ns.sockets() {
                socket.join(["pinged"]);
            }
        }
    });
    // The adapter's room listener: a join announces itself to the room,
    // then the socket leaves the room and the namespace.
    let room_ns = ns.clone();
    ns.adapter()
        .on_room_event(Arc::new(move |event: &RoomEvent| {
            if let RoomEvent::Join(room, id) = event {
                if room.as_str() == "pinged" {
                    let _ = room_ns.to(room.clone()).emit("joined", id.as_str());
                    if let Some(socket) = room_ns.socket(id.as_str()) {
                        socket.leave("pinged");
                        socket.disconnect(false);
                    }
                }
            }
        }));
    // Another server's `serverSideEmit("ping")` arrives.
    let sockets_of_slash = local.lock().unwrap().clone().unwrap().upgrade().unwrap();
    // On a thread of its own: were a lock held around the handlers, this
    // call would block, and the reads below would time out.
    std::thread::spawn(move || sockets_of_slash.server_side_emit(vec![Value::from("ping")], None));
    let seen = until_disconnected(&mut a).await;
    assert_eq!(
        seen,
        [
            r#"42["pinged"]"#.to_owned(),
            format!(r#"42["joined","{}"]"#, a_socket.id())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_server_from_a_disconnect_handler() {
    let (io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let (mut b, _b_socket) = joined(addr, &mut sockets).await;
    let server = io.clone();
    a_socket.on_disconnect(move |_s: Socket, _reason| {
        let server = server.clone();
        async move { server.close().await }
    });
    send(&mut a, "41").await;
    // b's connection closes with the server: engine.io CLOSE.
    assert_eq!(next(&mut b).await.as_deref(), Some("1"));
    assert!(io.sockets().sockets().is_empty());
}

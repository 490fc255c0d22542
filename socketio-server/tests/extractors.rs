//! Handlers whose parameters are extractors, over a bare WebSocket client
//! that shows the exact packets: what each extractor gives, that a
//! mismatch is never dropped silently, and arguments as Node sends them.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use socketio_server::{AckSender, Data, Error, Event, Server, Socket, State, TryData, Value};
use support::{channel, client, joined, next, recv, send, start, start_with};

mod support;

#[derive(Debug, Deserialize, PartialEq)]
struct Move {
    x: i32,
    y: i32,
}

#[tokio::test]
async fn data_reads_one_argument_as_itself_several_as_a_tuple_and_any_as_a_list() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    let t = tx.clone();
    socket.on("move", move |Data(m): Data<Move>| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("{m:?}"));
        }
    });
    let t = tx.clone();
    socket.on("pair", move |Data((a, b)): Data<(String, u8)>| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("{a} {b}"));
        }
    });
    let t = tx.clone();
    socket.on("list", move |Data(all): Data<Vec<Value>>| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("{}", all.len()));
        }
    });
    send(&mut ws, r#"42["move",{"x":1,"y":2}]"#).await;
    assert_eq!(recv(&mut seen).await, "Move { x: 1, y: 2 }");
    send(&mut ws, r#"42["pair","a",7]"#).await;
    assert_eq!(recv(&mut seen).await, "a 7");
    send(&mut ws, r#"42["list",1,"b",null]"#).await;
    assert_eq!(recv(&mut seen).await, "3");
    send(&mut ws, r#"42["list"]"#).await;
    assert_eq!(recv(&mut seen).await, "0");
}

#[tokio::test]
async fn arguments_that_do_not_fit_reach_the_error_handlers_and_the_others_still_run() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    let t = tx.clone();
    socket.on_error(move |_s: Socket, e: Error| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("error: {e}"));
        }
    });
    // The trap of old: a room name asked as a string, a number sent.
    let t = tx.clone();
    socket.on("join", move |Data(room): Data<String>, ack: AckSender| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("join {room}"));
            let _ = ack.send(());
        }
    });
    // A handler that takes no data is called whatever arrives.
    let t = tx.clone();
    socket.on("join", move |Event(name): Event| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("any data {name}"));
        }
    });
    // One that wants to see the mismatch itself.
    let t = tx.clone();
    socket.on("join", move |TryData(room): TryData<String>| {
        let t = t.clone();
        async move {
            let _ = t.send(format!("try {}", room.is_err()));
        }
    });
    send(&mut ws, r#"421["join",42]"#).await;
    let error = recv(&mut seen).await;
    assert!(
        error.starts_with(r#"error: the arguments of "join" do not fit"#),
        "{error}"
    );
    assert!(error.contains("expected a string"), "{error}");
    assert_eq!(recv(&mut seen).await, "any data join");
    assert_eq!(recv(&mut seen).await, "try true");
    // The fitting case still answers the ack, once.
    send(&mut ws, r#"422["join","lobby"]"#).await;
    assert_eq!(recv(&mut seen).await, "join lobby");
    assert_eq!(next(&mut ws).await.as_deref(), Some("432[]"));
}

#[tokio::test]
async fn the_ack_is_sent_once_whoever_answers_and_only_when_asked() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    for n in 1..=2 {
        socket.on("q", move |ack: AckSender| async move {
            assert_eq!(ack.is_pending(), n == 1);
            let _ = ack.send(n);
        });
    }
    send(&mut ws, r#"425["q"]"#).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("435[1]"));
    // No ack asked: sending does nothing, and the handler still runs.
    send(&mut ws, r#"42["q"]"#).await;
    socket.emit("after", ()).unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["after"]"#));
}

#[tokio::test]
async fn a_vec_is_one_argument_and_a_tuple_several_everywhere() {
    let (io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    socket.emit("e", vec![1, 2]).unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["e",[1,2]]"#));
    socket.emit("e", (1, "a")).unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["e",1,"a"]"#));
    socket.emit("e", "one").unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["e","one"]"#));
    io.emit("b", vec!["x"]).unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["b",["x"]]"#));
    socket.on("q", |ack: AckSender| async move {
        let _ = ack.send(vec![1, 2]);
    });
    send(&mut ws, r#"421["q"]"#).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("431[[1,2]]"));
    // A refusal's data is the value given, not a list of it.
    io.of("/guarded")
        .middleware(|| async { Err(Error::refused("no").with_data("x")) });
    send(&mut ws, "40/guarded,").await;
    assert_eq!(
        next(&mut ws).await.as_deref(),
        Some(r#"44/guarded,{"message":"no","data":"x"}"#)
    );
}

#[derive(Clone)]
struct Counter(Arc<AtomicU32>);

#[derive(Clone)]
struct Greeting(&'static str);

#[tokio::test]
async fn state_of_several_types_and_the_auth_payload_reach_every_kind_of_handler() {
    #[derive(Deserialize)]
    struct Auth {
        name: String,
    }
    let counter = Counter(Arc::new(AtomicU32::new(0)));
    let io = Server::builder()
        .with_state(counter.clone())
        .with_state(Greeting("hello"))
        .build();
    io.middleware(
        |Data(auth): Data<Auth>, State(c): State<Counter>| async move {
            c.0.fetch_add(1, Ordering::SeqCst);
            if auth.name.is_empty() {
                return Err(Error::refused("who are you?"));
            }
            Ok(())
        },
    );
    io.on_connection(
        |socket: Socket, Data(auth): Data<Auth>, State(g): State<Greeting>| async move {
            let _ = socket.emit("welcome", format!("{} {}", g.0, auth.name));
            socket.on(
                "hit",
                |State(c): State<Counter>, ack: AckSender| async move {
                    let _ = ack.send(c.0.fetch_add(1, Ordering::SeqCst) + 1);
                },
            );
            socket.on("missing", |State(_): State<String>| async move {
                unreachable!("no String state was given");
            });
            socket.on_error(|s: Socket, e: Error| async move {
                let _ = s.emit("error", e.to_string());
            });
        },
    );
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, r#"40{"name":"ada"}"#).await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{"));
    assert_eq!(
        next(&mut ws).await.as_deref(),
        Some(r#"42["welcome","hello ada"]"#)
    );
    send(&mut ws, r#"421["hit"]"#).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("431[2]"));
    send(&mut ws, r#"42["missing"]"#).await;
    let error = next(&mut ws).await.unwrap();
    assert!(
        error.contains("no state of type alloc::string::String"),
        "{error}"
    );
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);

    // An auth payload that does not fit the middleware's `Data` refuses
    // the client with what serde said.
    let mut ws = client(addr).await;
    send(&mut ws, r#"40{"name":3}"#).await;
    let refusal = next(&mut ws).await.unwrap();
    assert!(
        refusal.starts_with(r#"44{"message":"the arguments of \"connection auth\" do not fit"#),
        "{refusal}"
    );
}

#[tokio::test]
async fn emit_with_ack_waits_without_a_timeout_until_the_answer_or_the_socket_leaves() {
    let (_io, addr, mut sockets) = start_with(Server::builder()).await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let asking = socket.clone();
    let answer = tokio::spawn(async move { asking.emit_with_ack::<String>("q", 1).await });
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"420["q",1]"#));
    send(&mut ws, r#"430["yes"]"#).await;
    assert_eq!(answer.await.unwrap().unwrap(), "yes");

    let asking = socket.clone();
    let answer = tokio::spawn(async move { asking.emit_with_ack::<String>("q", ()).await });
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"421["q"]"#));
    drop(ws);
    let answer = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, Err(Error::Disconnected));
}

#[tokio::test]
async fn once_off_and_remove_all_listeners_as_in_node() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    let listener = |tag: &'static str| {
        let tx = tx.clone();
        move |Event(e): Event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(format!("{tag} {e}"));
            }
        }
    };
    socket.once("a", listener("once"));
    let kept = socket.on("a", listener("on"));
    let dropped = socket.on("a", listener("off"));
    socket.off("a", Some(dropped));
    socket.on("b", listener("b"));
    send(&mut ws, r#"42["a"]"#).await;
    assert_eq!(recv(&mut seen).await, "once a");
    assert_eq!(recv(&mut seen).await, "on a");
    send(&mut ws, r#"42["a"]"#).await;
    assert_eq!(recv(&mut seen).await, "on a", "once ran once; off is gone");
    socket.off("a", None);
    send(&mut ws, r#"42["a"]"#).await;
    send(&mut ws, r#"42["b"]"#).await;
    assert_eq!(recv(&mut seen).await, "b b", "nothing is left for a");
    socket.remove_all_listeners();
    socket.off("a", Some(kept));
    socket.on("c", listener("c"));
    send(&mut ws, r#"42["b"]"#).await;
    send(&mut ws, r#"42["a"]"#).await;
    send(&mut ws, r#"42["c"]"#).await;
    // Packets are handled in order: nothing ran for "b" or "a".
    assert_eq!(recv(&mut seen).await, "c c");
}

#[tokio::test]
async fn the_client_its_sockets_and_the_servers_options() {
    let io = Server::builder()
        .path("/rt/")
        .connect_timeout(Duration::from_millis(300))
        .build();
    assert_eq!(
        (io.path(), io.connect_timeout()),
        ("/rt/", Duration::from_millis(300))
    );
    let mut root = support::sockets_of(&io.of("/"));
    let mut b = support::sockets_of(&io.of("/b"));
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/rt/?EIO=4&transport=websocket&x=1");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    next(&mut ws).await;
    send(&mut ws, "40").await;
    send(&mut ws, "40/b,").await;
    let first: Socket = recv(&mut root).await;
    let second: Socket = recv(&mut b).await;
    let client = first.client();
    assert_eq!(client.conn().sid(), second.client().conn().sid());
    assert_eq!(
        client.request().uri.query(),
        Some("EIO=4&transport=websocket&x=1")
    );
    let mut ids: Vec<String> = client
        .sockets()
        .iter()
        .map(|s| s.id().to_string())
        .collect();
    ids.sort();
    let mut expected = vec![first.id().to_string(), second.id().to_string()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(io.connection_count(), 1);
}

#[tokio::test]
async fn prepend_any_outgoing_runs_first() {
    let (_io, addr, mut sockets) = start().await;
    let (_ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    for (tag, first) in [("second", false), ("first", true)] {
        let tx = tx.clone();
        let listener = move |_s: Socket, event: String, _args: Vec<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(format!("{tag} {event}"));
            }
        };
        if first {
            socket.prepend_any_outgoing(listener);
        } else {
            socket.on_any_outgoing(listener);
        }
    }
    socket.emit("e", ()).unwrap();
    assert_eq!(recv(&mut seen).await, "first e");
    assert_eq!(recv(&mut seen).await, "second e");
}

//! The rest of the socket API: data, any-listeners, several handlers, binary
//! acks, all_sockets, bounded queues, ordering, shutdown and disconnect
//! reasons.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use socketio_adapter::BroadcastOptions;
use socketio_server::{AckSender, Data, DisconnectReason, Error, Server, Socket, Value};
use support::{channel, client, joined, next, next_frame, recv, send, start, start_with, Ws};
use tokio_tungstenite::tungstenite::Message;

mod support;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Profile {
    name: String,
    visits: u32,
}

#[tokio::test]
async fn socket_data_is_typed_and_seen_by_the_adapter() {
    let (io, addr, mut sockets) = start().await;
    let (_ws, socket) = joined(addr, &mut sockets).await;
    assert_eq!(socket.data::<Profile>(), None);
    assert_eq!(socket.data_value(), Value::Null);

    socket.set_data(Profile {
        name: "ada".into(),
        visits: 1,
    });
    assert_eq!(
        socket.update_data(|p: &mut Profile| {
            p.visits += 1;
            p.visits
        }),
        Some(2)
    );
    assert_eq!(socket.data::<String>(), None, "another type is not there");
    assert_eq!(socket.data::<Profile>().unwrap().visits, 2);

    let details = io
        .sockets()
        .adapter()
        .fetch_sockets(BroadcastOptions::default())
        .await
        .unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].id, *socket.id());
    assert_eq!(
        details[0].data,
        Value::Object(vec![
            ("name".into(), "ada".into()),
            ("visits".into(), Value::from(2u64)),
        ])
    );
}

#[tokio::test]
async fn any_listeners_run_first_in_order_and_can_be_removed() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    let listener = |tag: &'static str| {
        let tx = tx.clone();
        move |_s: Socket, event: String, args: Vec<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(format!("{tag} {event} {}", args.len()));
            }
        }
    };
    let t = tx.clone();
    socket.on("e", move || {
        let t = t.clone();
        async move {
            let _ = t.send("handler".to_owned());
        }
    });
    let second = socket.on_any(listener("second"));
    socket.prepend_any(listener("first"));

    send(&mut ws, r#"42["e",1,2]"#).await;
    assert_eq!(recv(&mut seen).await, "first e 2");
    assert_eq!(recv(&mut seen).await, "second e 2");
    assert_eq!(recv(&mut seen).await, "handler");

    socket.off_any(Some(second));
    send(&mut ws, r#"42["e"]"#).await;
    assert_eq!(recv(&mut seen).await, "first e 0");
    assert_eq!(recv(&mut seen).await, "handler");

    socket.off_any(None);
    send(&mut ws, r#"42["other"]"#).await;
    send(&mut ws, r#"42["e"]"#).await;
    assert_eq!(recv(&mut seen).await, "handler");
}

#[tokio::test]
async fn outgoing_listeners_see_emits_and_broadcasts() {
    let (io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    let id = socket.on_any_outgoing(move |_s: Socket, event: String, args: Vec<Value>| {
        let tx = tx.clone();
        async move {
            let _ = tx.send((event, args));
        }
    });
    socket.emit("direct", (1,)).unwrap();
    io.emit("broadcast", ("all",)).unwrap();
    assert_eq!(
        recv(&mut seen).await,
        ("direct".into(), vec![Value::from(1u64)])
    );
    assert_eq!(
        recv(&mut seen).await,
        ("broadcast".into(), vec![Value::from("all")])
    );
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["direct",1]"#);
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["broadcast","all"]"#);

    socket.off_any_outgoing(Some(id));
    socket.emit("unseen", ()).unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["unseen"]"#);
    assert!(seen.try_recv().is_err());
}

#[tokio::test]
async fn several_handlers_of_one_event_run_in_order_and_one_ack_goes_back() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut seen) = channel();
    for n in 1..=3 {
        let tx = tx.clone();
        socket.on("e", move |Data(x): Data<u32>, ack: AckSender| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n * 10 + x);
                ack.send(n).unwrap();
            }
        });
    }
    send(&mut ws, r#"427["e",5]"#).await;
    assert_eq!(
        [
            recv(&mut seen).await,
            recv(&mut seen).await,
            recv(&mut seen).await
        ],
        [15, 25, 35]
    );
    assert_eq!(
        next(&mut ws).await.unwrap(),
        "437[1]",
        "only the first answer"
    );
    send(&mut ws, r#"42["e",6]"#).await;
    // No ack was asked for: the handlers get None and panic on `unwrap`
    // after sending. A panic stops only its own handler.
    assert_eq!(
        [
            recv(&mut seen).await,
            recv(&mut seen).await,
            recv(&mut seen).await
        ],
        [16, 26, 36]
    );
    socket.emit("alive", ()).unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["alive"]"#);
}

#[tokio::test]
async fn binary_goes_both_ways_inside_acks() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    socket.on("bin", |ack: AckSender| async move {
        let _ = ack.send((Bytes::from_static(&[1, 2, 3]), "text"));
    });

    // The client's event asks for an ack: the answer carries binary.
    send(&mut ws, r#"421["bin"]"#).await;
    assert_eq!(
        next_frame(&mut ws).await,
        Message::text(r#"461-1[{"_placeholder":true,"num":0},"text"]"#)
    );
    assert_eq!(next_frame(&mut ws).await, Message::binary(vec![1u8, 2, 3]));

    // The server asks; the client answers with binary.
    let asking = socket.clone();
    let answer = tokio::spawn(async move {
        asking
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<(Bytes, u32)>("ask", ())
            .await
    });
    let event = next(&mut ws).await.unwrap();
    let id = event
        .strip_prefix("42")
        .unwrap()
        .split('[')
        .next()
        .unwrap()
        .to_owned();
    send(
        &mut ws,
        &format!(r#"461-{id}[{{"_placeholder":true,"num":0}},7]"#),
    )
    .await;
    ws.send(Message::binary(vec![9u8, 8])).await.unwrap();
    let (bytes, n) = answer.await.unwrap().unwrap();
    assert_eq!((&bytes[..], n), (&[9u8, 8][..], 7));
}

#[tokio::test]
async fn all_sockets_at_each_level() {
    let (io, addr, mut sockets) = start().await;
    let (_a, a) = joined(addr, &mut sockets).await;
    let (_b, b) = joined(addr, &mut sockets).await;
    let (_c, c) = joined(addr, &mut sockets).await;
    a.join(["red", "blue"]);
    b.join(["red"]);
    c.join(["green"]);
    let ids = |s: &[&Socket]| s.iter().map(|s| s.id().clone()).collect::<HashSet<_>>();

    assert_eq!(io.all_sockets(), ids(&[&a, &b, &c]));
    assert_eq!(io.sockets().all_sockets(), ids(&[&a, &b, &c]));
    assert_eq!(io.to("red").all_sockets(), ids(&[&a, &b]));
    assert_eq!(io.to("red").to("green").all_sockets(), ids(&[&a, &b, &c]));
    assert_eq!(io.to("red").except("blue").all_sockets(), ids(&[&b]));
    assert_eq!(io.except("red").all_sockets(), ids(&[&c]));
    assert!(io.of("/other").all_sockets().is_empty());

    a.leave_all(["red", "blue"]);
    assert_eq!(io.to("red").all_sockets(), ids(&[&b]));
    assert_eq!(
        a.rooms(),
        HashSet::from([socketio_server::Room::from(a.id())]),
        "its own room stays"
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_loses_volatile_packets_then_is_disconnected() {
    let (_io, addr, mut sockets) =
        start_with(Server::builder().engine(|e| e.max_buffered_bytes(50_000))).await;
    let (_ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut reasons) = channel();
    socket.on_disconnect(move |_s, reason| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(reason);
        }
    });
    let big = "x".repeat(10_000);
    // This test runs on one thread: nothing is written out while it emits.
    for _ in 0..50 {
        socket.volatile().emit("v", (&big,)).unwrap();
    }
    assert!(
        socket.connected(),
        "volatile packets are dropped, not fatal"
    );
    let mut refused = None;
    for _ in 0..50 {
        if let Err(e) = socket.emit("e", (&big,)) {
            refused = Some(e);
            break;
        }
    }
    assert!(matches!(refused, Some(Error::Engine(_))), "{refused:?}");
    assert_eq!(recv(&mut reasons).await, DisconnectReason::BufferFull);
    assert_eq!(
        DisconnectReason::BufferFull.as_str(),
        "transport buffer full"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_reach_each_client_in_the_order_they_were_emitted() {
    let io = Server::builder().build();
    io.of("/").on_connection(|socket: Socket| async move {
        let name = socket
            .handshake()
            .auth
            .get("name")
            .cloned()
            .unwrap_or_default();
        socket.on("say", move |s: Socket, Data(n): Data<u32>| {
            let name = name.clone();
            async move {
                let _ = s.namespace().emit("said", (name, n));
            }
        });
    });
    // Connection handlers run in order: a socket this one hears of has its
    // `say` handler.
    let mut ready = support::sockets_of(&io.of("/"));
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    const CLIENTS: usize = 3;
    const EACH: u32 = 40;
    let mut wss = Vec::new();
    for i in 0..CLIENTS {
        let mut ws = client(addr).await;
        send(&mut ws, &format!(r#"40{{"name":"c{i}"}}"#)).await;
        next(&mut ws).await;
        ready.recv().await.unwrap();
        wss.push(ws);
    }
    let tasks: Vec<_> = wss
        .into_iter()
        .map(|mut ws: Ws| {
            tokio::spawn(async move {
                let sender = async |ws: &mut Ws| {
                    for n in 0..EACH {
                        send(ws, &format!(r#"42["say",{n}]"#)).await;
                    }
                };
                sender(&mut ws).await;
                let mut last: HashMap<String, i64> = HashMap::new();
                for _ in 0..(EACH as usize * CLIENTS) {
                    let text = next(&mut ws).await.unwrap();
                    let v: serde_json::Value =
                        serde_json::from_str(text.strip_prefix("42").unwrap()).unwrap();
                    let who = v[1].as_str().unwrap().to_owned();
                    let n = v[2].as_i64().unwrap();
                    let prev = last.insert(who.clone(), n).unwrap_or(-1);
                    assert_eq!(n, prev + 1, "from {who}: {n} after {prev}");
                }
                last
            })
        })
        .collect();
    for task in tasks {
        let last = task.await.unwrap();
        assert_eq!(last.len(), CLIENTS);
        assert!(last.values().all(|n| *n == i64::from(EACH) - 1));
    }
}

#[tokio::test]
async fn close_disconnects_every_socket_with_server_shutting_down_and_frees_the_port() {
    let (io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut reasons) = channel();
    socket.on_disconnect(move |_s, reason| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(reason);
        }
    });
    io.close().await;
    assert_eq!(
        recv(&mut reasons).await,
        DisconnectReason::ServerShuttingDown
    );
    assert_eq!(next(&mut ws).await.as_deref(), Some("1"), "engine.io CLOSE");
    assert!(tokio::net::TcpListener::bind(addr).await.is_ok());
}

async fn reason_after(
    builder: socketio_server::ServerBuilder,
    act: impl AsyncFnOnce(&mut Ws, &Socket),
) -> DisconnectReason {
    let (_io, addr, mut sockets) = start_with(builder).await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let (tx, mut reasons) = channel();
    socket.on_disconnect(move |_s, reason| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(reason);
        }
    });
    act(&mut ws, &socket).await;
    recv(&mut reasons).await
}

#[tokio::test]
async fn disconnect_reasons_of_the_connection() {
    // An engine.io message that is no socket.io packet: Node's `forced
    // close`, which recovery accepts (see `recovery.rs`).
    let reason = reason_after(Server::builder(), async |ws, _| send(ws, "4x").await).await;
    assert_eq!(reason, DisconnectReason::ForcedClose);
    // Something that is no engine.io packet at all.
    let reason = reason_after(Server::builder(), async |ws, _| send(ws, "x").await).await;
    assert_eq!(reason, DisconnectReason::ParseError);
    // The client stops answering pings (`next` never answers them).
    let quick = Server::builder().engine(|e| {
        e.ping_interval(Duration::from_millis(50))
            .ping_timeout(Duration::from_millis(50))
    });
    let reason = reason_after(quick, async |_, _| {}).await;
    assert_eq!(reason, DisconnectReason::PingTimeout);
    // The server closes the whole connection.
    let reason = reason_after(Server::builder(), async |ws, socket| {
        socket.disconnect(true);
        assert_eq!(next(ws).await.as_deref(), Some("41"));
    })
    .await;
    assert_eq!(reason, DisconnectReason::ServerNamespaceDisconnect);
}

#[tokio::test]
async fn an_outgoing_listener_may_disconnect_its_socket_during_a_broadcast() {
    let (io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    socket.on_any_outgoing(|s: Socket, _event: String, _args: Vec<Value>| async move {
        s.disconnect(false);
    });
    // Before, the listener ran under the namespace's lock, which the
    // disconnect takes: the broadcast never returned.
    let (done, mut finished) = channel();
    std::thread::spawn(move || {
        let _ = io.emit("bye", ());
        let _ = done.send(());
    });
    recv(&mut finished).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["bye"]"#));
    assert_eq!(next(&mut ws).await.as_deref(), Some("41"));
}

#[tokio::test]
async fn a_handler_may_use_the_whole_api_from_inside() {
    let (io, addr, mut sockets) = start().await;
    let (mut wa, a) = joined(addr, &mut sockets).await;
    let (mut wb, b) = joined(addr, &mut sockets).await;
    let other = b.id().to_string();
    a.on("go", move |s: Socket| {
        let other = other.clone();
        async move {
            s.join(["r"]);
            let _ = s.emit("self", ());
            let _ = s.broadcast().emit("others", ());
            let _ = s.to("r").emit("room", ());
            s.leave("r");
            let found = s.namespace().fetch_sockets().await.map(|f| f.len());
            let _ = s.emit("count", found.unwrap_or(0));
            if let Some(other) = s.namespace().socket(&other) {
                other.disconnect(false);
            }
            s.disconnect(false);
        }
    });
    send(&mut wa, r#"42["go"]"#).await;
    assert_eq!(next(&mut wa).await.as_deref(), Some(r#"42["self"]"#));
    assert_eq!(next(&mut wb).await.as_deref(), Some(r#"42["others"]"#));
    assert_eq!(next(&mut wa).await.as_deref(), Some(r#"42["count",2]"#));
    assert_eq!(next(&mut wb).await.as_deref(), Some("41"));
    assert_eq!(next(&mut wa).await.as_deref(), Some("41"));

    // Closing the whole server from inside a handler.
    let (mut wc, c) = joined(addr, &mut sockets).await;
    let server = io.clone();
    c.on("stop", move || {
        let server = server.clone();
        async move { server.close().await }
    });
    send(&mut wc, r#"42["stop"]"#).await;
    assert_eq!(next(&mut wc).await.as_deref(), Some("1"), "engine.io CLOSE");
}

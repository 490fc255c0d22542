//! Operations over many sockets at once: fetch_sockets and what its handles
//! do, sockets_join/leave, disconnect_sockets, broadcasts with acks and
//! server-side emits, on the server, namespaces and broadcast operators.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use socketio_server::{Error, Room, Server, Socket, Value};
use support::{channel, client, next, recv, send, Ws};
use tokio::sync::mpsc;

mod support;

/// A server with `/` and `/chat`, handing each socket to the channel.
async fn start() -> (
    Server,
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Socket>,
) {
    let io = Server::builder().build();
    let (tx, rx) = channel();
    for nsp in ["/", "/chat"] {
        let tx = tx.clone();
        io.of(nsp).on_connection(move |socket: Socket| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(socket);
            }
        });
    }
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, rx)
}

/// A client that joined `nsp` ("" for `/`) with `name` in its auth.
async fn joined(
    addr: std::net::SocketAddr,
    sockets: &mut mpsc::UnboundedReceiver<Socket>,
    nsp: &str,
    name: &str,
) -> (Ws, Socket) {
    let mut ws = client(addr).await;
    let prefix = if nsp.is_empty() {
        String::new()
    } else {
        format!("{nsp},")
    };
    send(&mut ws, &format!(r#"40{prefix}{{"name":"{name}"}}"#)).await;
    let socket = recv(sockets).await;
    next(&mut ws).await;
    (ws, socket)
}

fn ids(sockets: &[&Socket]) -> HashSet<String> {
    sockets.iter().map(|s| s.id().to_string()).collect()
}

fn rooms(names: &[&str], socket: &Socket) -> HashSet<Room> {
    let mut rooms: HashSet<Room> = names.iter().map(|n| Room::from(*n)).collect();
    rooms.insert(Room::from(socket.id()));
    rooms
}

#[tokio::test]
async fn fetch_sockets_finds_the_selected_sockets_with_their_state() {
    let (io, addr, mut sockets) = start().await;
    let (_a, a) = joined(addr, &mut sockets, "", "a").await;
    let (_b, b) = joined(addr, &mut sockets, "", "b").await;
    let (_c, c) = joined(addr, &mut sockets, "/chat", "c").await;
    a.join(["red"]);
    b.join(["red", "blue"]);
    c.join(["red"]);
    a.set_data(String::from("data of a"));

    let found = |list: Vec<socketio_server::RemoteSocket>| -> HashSet<String> {
        list.iter().map(|s| s.id().to_string()).collect()
    };
    assert_eq!(found(io.fetch_sockets().await.unwrap()), ids(&[&a, &b]));
    assert_eq!(
        found(io.of("/chat").fetch_sockets().await.unwrap()),
        ids(&[&c])
    );
    assert_eq!(
        found(io.to("red").fetch_sockets().await.unwrap()),
        ids(&[&a, &b])
    );
    assert_eq!(
        found(io.to("red").except("blue").fetch_sockets().await.unwrap()),
        ids(&[&a])
    );
    assert_eq!(
        found(io.local().to("blue").fetch_sockets().await.unwrap()),
        ids(&[&b])
    );

    let remote = io
        .within("red")
        .except("blue")
        .fetch_sockets()
        .await
        .unwrap();
    let remote = &remote[0];
    assert_eq!(remote.rooms(), &rooms(&["red"], &a));
    assert_eq!(remote.data::<String>().unwrap(), "data of a");
    assert_eq!(remote.handshake().auth.get("name"), Some(&Value::from("a")));
    let unset = io.to("blue").fetch_sockets().await.unwrap();
    assert_eq!(unset[0].data_value(), &Value::Null);
}

#[tokio::test]
async fn remote_socket_handles_emit_join_leave_and_disconnect() {
    let (io, addr, mut sockets) = start().await;
    let (mut wa, a) = joined(addr, &mut sockets, "", "a").await;
    let (mut wb, b) = joined(addr, &mut sockets, "", "b").await;
    let remote = io.fetch_sockets().await.unwrap();
    let ra = remote.iter().find(|r| r.id() == a.id()).unwrap();

    ra.emit("hello", ("only a",)).unwrap();
    assert_eq!(next(&mut wa).await.unwrap(), r#"42["hello","only a"]"#);
    // Asked with a timeout: the answer comes back, or the time is up.
    let ask = ra.clone();
    let asked = tokio::spawn(async move {
        ask.timeout(Duration::from_secs(5))
            .emit_with_ack::<String>("q", ())
            .await
    });
    let question = next(&mut wa).await.unwrap();
    let id: u64 = question[2..question.find('[').unwrap()].parse().unwrap();
    send(&mut wa, &format!(r#"43{id}["yes"]"#)).await;
    assert_eq!(asked.await.unwrap().unwrap(), "yes");
    let unanswered = ra
        .timeout(Duration::from_millis(50))
        .emit_with_ack::<String>("q", ())
        .await;
    assert!(matches!(
        unanswered,
        Err(Error::AckTimeout {
            answered: 0,
            expected: 1
        })
    ));
    next(&mut wa).await;
    ra.join(["x", "y"]).await.unwrap();
    assert_eq!(a.rooms(), rooms(&["x", "y"], &a));
    ra.leave(["x"]).await.unwrap();
    assert_eq!(a.rooms(), rooms(&["y"], &a));
    ra.disconnect(false).await.unwrap();
    assert_eq!(next(&mut wa).await.unwrap(), "41");
    assert!(!a.connected());
    assert!(b.connected());
    b.emit("still", ()).unwrap();
    assert_eq!(next(&mut wb).await.unwrap(), r#"42["still"]"#);
}

#[tokio::test]
async fn sockets_join_leave_and_disconnect_follow_the_operator() {
    let (io, addr, mut sockets) = start().await;
    let (_wa, a) = joined(addr, &mut sockets, "", "a").await;
    let (_wb, b) = joined(addr, &mut sockets, "", "b").await;
    let (mut wc, c) = joined(addr, &mut sockets, "/chat", "c").await;
    let (mut wd, d) = joined(addr, &mut sockets, "/chat", "d").await;
    a.join(["red"]);
    c.join(["red"]);

    // Only `/` sockets in "red".
    io.to("red").sockets_join(["green", "blue"]).await.unwrap();
    assert_eq!(a.rooms(), rooms(&["red", "green", "blue"], &a));
    assert_eq!(b.rooms(), rooms(&[], &b));
    assert_eq!(c.rooms(), rooms(&["red"], &c));
    io.sockets_join(["all"]).await.unwrap();
    assert_eq!(b.rooms(), rooms(&["all"], &b));
    io.except("red").sockets_leave(["all"]).await.unwrap();
    assert_eq!(b.rooms(), rooms(&[], &b));
    assert!(a.rooms().contains("all"));
    io.sockets_leave(["green", "blue", "all"]).await.unwrap();
    assert_eq!(a.rooms(), rooms(&["red"], &a));

    // In `/chat`, all but "red": only d leaves.
    io.of("/chat")
        .except("red")
        .disconnect_sockets(false)
        .await
        .unwrap();
    assert_eq!(next(&mut wd).await.unwrap(), "41/chat,");
    assert!(!d.connected());
    assert!(c.connected() && a.connected() && b.connected());
    // With close, the whole connection goes.
    io.of("/chat").disconnect_sockets(true).await.unwrap();
    assert_eq!(next(&mut wc).await.unwrap(), "41/chat,");
    assert_eq!(next(&mut wc).await.as_deref(), Some("1"), "engine.io CLOSE");
    assert_eq!(io.of("/chat").socket_count(), 0);
    assert_eq!(io.sockets().socket_count(), 2);
}

/// Answers the next event on `ws` (`42<id>[...]`) with `answer`.
async fn answer(ws: &mut Ws, answer: &str) -> String {
    let event = next(ws).await.unwrap();
    let body = event.strip_prefix("42").unwrap();
    let (nsp, body) = match body.split_once(',') {
        Some((nsp, rest)) if nsp.starts_with('/') => (format!("{nsp},"), rest),
        _ => (String::new(), body),
    };
    let id: String = body.chars().take_while(char::is_ascii_digit).collect();
    send(ws, &format!("43{nsp}{id}{answer}")).await;
    body[id.len()..].to_owned()
}

#[tokio::test]
async fn a_broadcast_with_acks_yields_every_answer() {
    let (io, addr, mut sockets) = start().await;
    let (mut wa, a) = joined(addr, &mut sockets, "", "a").await;
    let (mut wb, b) = joined(addr, &mut sockets, "", "b").await;
    let (mut wc, _c) = joined(addr, &mut sockets, "", "c").await;
    a.join(["red"]);
    b.join(["red"]);

    let asked = io.to("red").timeout(Duration::from_secs(5));
    let mut stream = asked.emit_with_ack::<(String,)>("q", (1,)).await.unwrap();
    assert_eq!(stream.expected(), 2);
    assert_eq!(answer(&mut wa, r#"["from a"]"#).await, r#"["q",1]"#);
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        ("from a".to_owned(),)
    );
    answer(&mut wb, r#"["from b"]"#).await;
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        ("from b".to_owned(),)
    );
    assert!(stream.next().await.is_none());

    // Everyone, default timeout, collected.
    let all = io
        .sockets()
        .broadcast()
        .emit_with_ack::<(u32,)>("n", ())
        .await
        .unwrap();
    for (ws, n) in [(&mut wa, 1), (&mut wb, 2), (&mut wc, 3)] {
        answer(ws, &format!("[{n}]")).await;
    }
    let mut got = all.collect_all().await.unwrap();
    got.sort();
    assert_eq!(got, [(1,), (2,), (3,)]);

    // Nobody selected: done at once.
    let none = io
        .to("nobody")
        .emit_with_ack::<Vec<Value>>("n", ())
        .await
        .unwrap();
    assert_eq!(none.collect_all().await.unwrap(), Vec::<Vec<Value>>::new());
}

#[tokio::test]
async fn a_broadcast_with_acks_says_how_many_answered_when_time_is_up() {
    let (io, addr, mut sockets) = start().await;
    let (mut wa, _a) = joined(addr, &mut sockets, "/chat", "a").await;
    let (mut wb, b) = joined(addr, &mut sockets, "/chat", "b").await;
    let (_wc, _c) = joined(addr, &mut sockets, "/chat", "c").await;

    let stream = io
        .of("/chat")
        .timeout(Duration::from_millis(300))
        .emit_with_ack::<Vec<Value>>("q", ())
        .await
        .unwrap();
    answer(&mut wa, "[]").await;
    let result = stream.collect_all().await;
    assert_eq!(
        result,
        Err(Error::AckTimeout {
            answered: 1,
            expected: 3
        })
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        "1 of 3 acknowledgements came in time"
    );

    // Sockets that leave cannot answer: no need to wait for the timeout.
    let stream = io
        .of("/chat")
        .to(Room::from(b.id()))
        .timeout(Duration::from_secs(60))
        .emit_with_ack::<Vec<Value>>("q", ())
        .await
        .unwrap();
    next(&mut wb).await;
    b.disconnect(false);
    let result = tokio::time::timeout(Duration::from_secs(5), stream.collect_all()).await;
    assert_eq!(
        result.unwrap(),
        Err(Error::AckTimeout {
            answered: 0,
            expected: 1
        })
    );
}

#[tokio::test]
async fn server_side_emits_reach_other_servers_and_this_one_when_asked() {
    let (io, _addr, _sockets) = start().await;
    let (tx, mut heard) = channel();
    io.of("/chat").on_server_side_emit(move |args, reply| {
        let _ = tx.send(args.clone());
        if let Some(reply) = reply {
            reply.answer(vec![Value::from("pong")]);
        }
    });
    let chat = io.of("/chat");
    // In memory there is no other server: nobody hears it, nobody answers.
    chat.server_side_emit("ping", (1,)).await.unwrap();
    let answers = chat
        .server_side_emit_with_ack::<Vec<Value>>("ping", (2,))
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert!(answers.is_empty());
    assert!(heard.try_recv().is_err());

    // Including this server: its handler hears and answers.
    chat.server_side()
        .include_self(true)
        .emit("ping", (3,))
        .await
        .unwrap();
    assert_eq!(
        recv(&mut heard).await,
        [Value::from("ping"), Value::from(3u64)]
    );
    let answers = chat
        .server_side()
        .include_self(true)
        .timeout(Duration::from_secs(1))
        .emit_with_ack::<(String,)>("ping", (4,))
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(answers, [("pong".to_owned(),)]);
    assert_eq!(
        chat.server_side_emit("connect", ()).await,
        Err(Error::ReservedEvent("connect".into()))
    );
}

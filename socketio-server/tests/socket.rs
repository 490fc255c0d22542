//! The socket API over a bare WebSocket client that speaks the protocol's
//! text packets, so each test shows the exact packets on the wire.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use socketio_parser::Value;
use socketio_server::{DisconnectReason, Error, Server};
use support::{client, joined, next, recv, send, start, Ws};
use tokio::sync::mpsc;

mod support;

#[tokio::test]
async fn connect_is_answered_with_the_socket_id() {
    let (_io, addr, mut sockets) = start().await;
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    let socket = sockets.recv().await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap(),
        format!("40{{\"sid\":\"{}\"}}", socket.id())
    );
    assert!(socket.rooms().contains(socket.id().as_str()));
}

#[tokio::test]
async fn emit_with_ack_gets_the_answer_or_times_out() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;

    let asking = socket.clone();
    let answer = tokio::spawn(async move {
        asking
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<(String, u32)>("question", ("why",))
            .await
    });
    let event = next(&mut ws).await.unwrap();
    let (id, rest) = event.strip_prefix("42").unwrap().split_once('[').unwrap();
    assert_eq!(rest, "\"question\",\"why\"]");
    send(&mut ws, &format!("43{id}[\"because\",42]")).await;
    assert_eq!(answer.await.unwrap().unwrap(), ("because".to_owned(), 42));

    let unanswered = socket
        .timeout(Duration::from_millis(50))
        .emit_with_ack::<Vec<Value>>("ignored", ())
        .await;
    assert_eq!(unanswered, Err(Error::Timeout));
}

#[tokio::test]
async fn a_pending_ack_fails_when_the_socket_leaves() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let asking = socket.clone();
    let answer = tokio::spawn(async move {
        asking
            .timeout(Duration::from_secs(30))
            .emit_with_ack::<Vec<Value>>("question", ())
            .await
    });
    next(&mut ws).await;
    send(&mut ws, "41").await;
    assert_eq!(answer.await.unwrap(), Err(Error::Disconnected));
}

#[tokio::test]
async fn reserved_event_names_are_refused() {
    let (_io, addr, mut sockets) = start().await;
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    let socket = sockets.recv().await.unwrap();
    for name in ["connect", "disconnect", "disconnecting", "connect_error"] {
        assert_eq!(
            socket.emit(name, ()),
            Err(Error::ReservedEvent(name.into()))
        );
    }
}

#[tokio::test]
async fn disconnect_reasons_name_who_left() {
    let (_io, addr, mut sockets) = start().await;
    let (tx, mut reasons) = mpsc::unbounded_channel();
    let mut connect = async |ws: &mut Ws| {
        send(ws, "40").await;
        let socket = sockets.recv().await.unwrap();
        let tx = tx.clone();
        socket.on_disconnect(move |_, reason| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(reason);
            }
        });
        next(ws).await;
        socket
    };
    // The client leaves the namespace.
    let mut ws = client(addr).await;
    connect(&mut ws).await;
    send(&mut ws, "41").await;
    assert_eq!(
        reasons.recv().await,
        Some(DisconnectReason::ClientNamespaceDisconnect)
    );
    // The server disconnects the socket: the client hears DISCONNECT.
    let mut ws = client(addr).await;
    let socket = connect(&mut ws).await;
    socket.disconnect(false);
    assert_eq!(next(&mut ws).await.unwrap(), "41");
    assert!(!socket.connected());
    assert_eq!(
        reasons.recv().await,
        Some(DisconnectReason::ServerNamespaceDisconnect)
    );
    // The client goes away.
    let mut ws = client(addr).await;
    connect(&mut ws).await;
    drop(ws);
    assert_eq!(reasons.recv().await, Some(DisconnectReason::TransportClose));
}

#[tokio::test]
async fn a_client_that_joins_no_namespace_is_closed_after_the_connect_timeout() {
    let (_io, addr, _sockets) = start().await;
    let mut ws = client(addr).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("1"), "engine.io CLOSE");
}

#[tokio::test]
async fn an_unknown_namespace_gets_connect_error() {
    let (_io, addr, _sockets) = start().await;
    let mut ws = client(addr).await;
    send(&mut ws, "40/nope,").await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44/nope,{"message":"Invalid namespace"}"#
    );
}

#[tokio::test]
async fn an_invalid_packet_reaches_the_error_handlers_then_closes_the_connection() {
    let (_io, addr, mut sockets) = start().await;
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    let mut errors = support::errors(&socket);
    send(&mut ws, "4abc").await;
    assert!(matches!(recv(&mut errors).await, Error::InvalidPacket(_)));
    assert_eq!(next(&mut ws).await.as_deref(), Some("1"), "engine.io CLOSE");
    assert_eq!(next(&mut ws).await, None);
}

#[tokio::test]
async fn a_packet_for_a_namespace_not_joined_closes_the_whole_connection() {
    // An EVENT, an ACK, a DISCONNECT for a namespace not joined, a CONNECT
    // for one joined, a CONNECT_ERROR: Node closes the connection for each.
    for packet in [
        r#"42/other,["hi"]"#,
        "43/other,1[]",
        "41/other,",
        "40",
        r#"44{"message":"no"}"#,
    ] {
        let (_io, addr, mut sockets) = start().await;
        let (mut ws, socket) = joined(addr, &mut sockets).await;
        let mut reasons = support::reasons(&socket);
        send(&mut ws, packet).await;
        assert_eq!(
            recv(&mut reasons).await,
            DisconnectReason::ForcedServerClose,
            "{packet}"
        );
        assert_eq!(next(&mut ws).await.as_deref(), Some("1"), "{packet}");
    }
}

#[tokio::test]
async fn socket_io_2_clients_get_nodes_ids_and_invalid_namespace_object() {
    let io = Server::builder().engine(|e| e.allow_eio3(true)).build();
    let mut root = support::sockets_of(&io.of("/"));
    let mut chat = support::sockets_of(&io.of("/chat"));
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=3&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let open = next(&mut ws).await.unwrap();
    let open: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let sid = open["sid"].as_str().unwrap().to_owned();
    // `/` is joined at once, with the engine.io id as the socket's id.
    assert_eq!(next(&mut ws).await.as_deref(), Some("40"));
    assert_eq!(recv(&mut root).await.id().as_str(), sid);
    send(&mut ws, "40/chat").await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("40/chat,"));
    assert_eq!(recv(&mut chat).await.id().as_str(), format!("/chat#{sid}"));
    // An unknown namespace: the object, as Node 4.8 sends it to 2.x.
    send(&mut ws, "40/nope").await;
    assert_eq!(
        next(&mut ws).await.as_deref(),
        Some(r#"44/nope,{"message":"Invalid namespace"}"#)
    );
}

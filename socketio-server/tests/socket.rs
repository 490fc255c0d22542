//! The socket API over a bare WebSocket client that speaks the protocol's
//! text packets, so each test shows the exact packets on the wire.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use socketio_parser::Value;
use socketio_server::{DisconnectReason, Error};
use support::{client, joined, next, send, start, Ws};
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

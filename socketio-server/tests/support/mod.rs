//! A bare WebSocket client that speaks the protocol's text packets, so each
//! test shows the exact packets on the wire.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketio_server::{Server, Socket};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

pub async fn client(addr: std::net::SocketAddr) -> Ws {
    client_eio(addr, 4).await
}

/// A WebSocket client of engine.io protocol `eio` (3: socket.io 2.x).
pub async fn client_eio(addr: std::net::SocketAddr, eio: u8) -> Ws {
    let stream = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO={eio}&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert!(next(&mut ws).await.unwrap().starts_with("0{"));
    ws
}

/// The next text frame, skipping engine.io pings; `None` once closed.
pub async fn next(ws: &mut Ws) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap();
        match frame {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => continue,
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// A client in `/`, with its socket on the server.
pub async fn joined(
    addr: std::net::SocketAddr,
    sockets: &mut mpsc::UnboundedReceiver<Socket>,
) -> (Ws, Socket) {
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    let socket = sockets.recv().await.unwrap();
    next(&mut ws).await;
    (ws, socket)
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

pub async fn start() -> (
    Server,
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Socket>,
) {
    start_with(Server::builder().connect_timeout(Duration::from_millis(200))).await
}

/// A socket's events, as the test sees them from its handlers.
pub fn channel<T>() -> (mpsc::UnboundedSender<T>, mpsc::UnboundedReceiver<T>) {
    mpsc::unbounded_channel()
}

/// The next item, failing after 5 s.
pub async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

/// The next text or binary frame, skipping engine.io pings.
pub async fn next_frame(ws: &mut Ws) -> Message {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match frame {
            Message::Text(t) if t.as_str() == "2" => continue,
            Message::Text(_) | Message::Binary(_) => return frame,
            _ => continue,
        }
    }
}

/// A server whose `/` hands each socket to the returned channel, built
/// from `builder`.
pub async fn start_with(
    builder: socketio_server::ServerBuilder,
) -> (
    Server,
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Socket>,
) {
    let io = builder.build();
    let (tx, rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket);
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, rx)
}

/// The errors `socket`'s error handlers hear, as they come.
pub fn errors(socket: &Socket) -> mpsc::UnboundedReceiver<socketio_server::Error> {
    let (tx, rx) = channel();
    socket.on_error(move |_s, e| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(e);
        }
    });
    rx
}

/// The reason `socket` leaves with, when it does.
pub fn reasons(socket: &Socket) -> mpsc::UnboundedReceiver<socketio_server::DisconnectReason> {
    let (tx, rx) = channel();
    socket.on_disconnect(move |_s, reason| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(reason);
        }
    });
    rx
}

/// Hands each socket that joins `ns` to the returned channel.
pub fn sockets_of(ns: &socketio_server::Namespace) -> mpsc::UnboundedReceiver<Socket> {
    let (tx, rx) = channel();
    ns.on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket);
        }
    });
    rx
}

/// Sockets of `/` answer `echo` (data) with `echo` (data).
pub fn echoes(io: &Server) {
    io.on_connection(|socket: Socket| async move {
        socket.on(
            "echo",
            |socket: Socket, socketio_server::Data(data): socketio_server::Data<socketio_server::Value>| async move {
                let _ = socket.emit("echo", data);
            },
        );
    });
}

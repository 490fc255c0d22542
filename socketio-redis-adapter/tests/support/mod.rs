//! A `redis-server` of the test's own on a free port, servers of this
//! project joined through it, and a bare WebSocket client that shows the
//! packets on the wire.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketio_redis_adapter::{redis, RedisAdapter, RedisAdapterConfig};
use socketio_server::{Server, Socket};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

pub use interop::RedisServer as Redis;

/// A server of this project in the cluster of `redis` with channel prefix
/// `key`; its sockets of `/` come out of the channel.
pub async fn node(
    redis: &Redis,
    key: &str,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    node_with(redis, RedisAdapterConfig::default().key(key)).await
}

/// As [`node`], with the adapter's options given whole.
pub async fn node_with(
    redis: &Redis,
    config: RedisAdapterConfig,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    node_of(Server::builder().adapter(RedisAdapter::factory(client, config))).await
}

/// A server built from `builder` (its adapter set), listening on a free
/// port; its sockets of `/` come out of the channel.
pub async fn node_of(
    builder: socketio_server::ServerBuilder,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    let io = builder.without_client_bundle().build();
    let (tx, rx) = mpsc::unbounded_channel();
    io.on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket);
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, rx)
}

/// Waits until `io`'s `/` counts `servers` servers in its cluster.
pub async fn until_cluster_of(io: &Server, servers: usize) {
    interop::until_cluster_of(io.sockets().adapter().as_ref(), servers).await;
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A client joined to `/` of the server on `addr`, and its socket there.
pub async fn join(addr: SocketAddr, sockets: &mut mpsc::UnboundedReceiver<Socket>) -> (Ws, Socket) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert!(next(&mut ws).await.starts_with("0{"));
    send(&mut ws, "40").await;
    assert!(next(&mut ws).await.starts_with("40{"));
    let socket = tokio::time::timeout(WAIT, sockets.recv())
        .await
        .unwrap()
        .unwrap();
    (ws, socket)
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next text packet, pings skipped.
pub async fn next(ws: &mut Ws) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        match frame {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => continue,
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

/// What `fetch_sockets` of `io` finds, asserted to be `sockets` (in any
/// order), each once.
pub async fn fetch_finds(io: &Server, sockets: &[&Socket]) -> Vec<socketio_server::RemoteSocket> {
    let found = io.fetch_sockets().await.unwrap();
    let mut ids: Vec<_> = found.iter().map(|s| s.id().clone()).collect();
    ids.sort();
    let mut expected: Vec<_> = sockets.iter().map(|s| s.id().clone()).collect();
    expected.sort();
    assert_eq!(ids, expected);
    found
}

/// What two servers `a` and `b` of one cluster answer, with a client of
/// each (`cb`'s socket in room `r`): a server-side emit with an ack, a
/// broadcast with acks from both servers' clients, and a disconnect of the
/// room's sockets from the other server.
pub async fn requests_acks_and_disconnects(a: &Server, b: &Server, ca: &mut Ws, cb: &mut Ws) {
    use socketio_server::Value;
    // server_side_emit with an ack: B's handler answers.
    b.sockets().on_server_side_emit(|args, reply| {
        if let (Some(Value::String(event)), Some(reply)) = (args.first(), reply) {
            reply.answer(vec![Value::from(format!("B heard {event}"))]);
        }
    });
    let answers: Vec<String> = a
        .sockets()
        .server_side_emit_with_ack("ping", ())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(answers, ["B heard ping"]);

    // A broadcast with acks gathers the answers of both servers' clients.
    let asking = tokio::spawn({
        let a = a.clone();
        async move {
            a.timeout(Duration::from_secs(5))
                .emit_with_ack::<Vec<String>>("question", ())
                .await
                .unwrap()
                .collect_all()
                .await
                .unwrap()
        }
    });
    for (client, name) in [(ca, "a"), (cb, "b")] {
        let question = next(client).await;
        let id = question
            .strip_prefix("42")
            .and_then(|rest| rest.strip_suffix(r#"["question"]"#))
            .unwrap_or_else(|| panic!("{question}"));
        send(client, &format!(r#"43{id}["{name}"]"#)).await;
    }
    let mut answers = asking.await.unwrap();
    answers.sort();
    assert_eq!(answers, [vec!["a".to_owned()], vec!["b".to_owned()]]);

    // disconnect_sockets from A reaches B's client.
    a.to("r").disconnect_sockets(false).await.unwrap();
    assert_eq!(next(cb).await, "41");
}

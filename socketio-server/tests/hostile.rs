//! Hostile clients: each attack gets the protocol's error or close for its
//! own connection, while another client keeps exchanging messages with the
//! server, which stays up.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use socketio_server::Server;
use support::{client, next, send, Ws};

mod support;

/// A server whose sockets of `/` echo `echo` (data).
async fn echo_server() -> (Server, SocketAddr) {
    let io = Server::builder().without_client_bundle().build();
    support::echoes(&io);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr)
}

/// A well-behaved client, joined to `/`.
async fn bystander(addr: SocketAddr) -> Ws {
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{"));
    ws
}

/// The bystander still gets its echo.
async fn still_served(ws: &mut Ws, n: u32) {
    send(ws, &format!(r#"42["echo",{n}]"#)).await;
    assert_eq!(next(ws).await, Some(format!(r#"42["echo",{n}]"#)));
}

/// An attacker's connection, joined to `/`, sends `attack`; the server
/// must close that connection.
async fn is_cut_off(addr: SocketAddr, attack: &str) {
    let mut ws = bystander(addr).await;
    send(&mut ws, attack).await;
    // Whatever the server says first, the connection ends.
    let mut seen = 0;
    while next(&mut ws).await.is_some() {
        seen += 1;
        assert!(seen < 10, "{attack:.40}: the connection stays open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packets_that_lie_or_overflow_close_only_their_connection() {
    let (_io, addr) = echo_server().await;
    let mut good = bystander(addr).await;
    still_served(&mut good, 0).await;
    let deep = format!("42{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let attacks = [
        // A million attachments announced, none sent.
        r#"451000000-["e",{"_placeholder":true,"num":0}]"#.to_owned(),
        // 100 000 levels of nesting.
        deep,
        // Ack ids past u64, and negative.
        r#"42184467440737095516160["e"]"#.to_owned(),
        r#"42-1["e"]"#.to_owned(),
        // Not a packet at all.
        "9garbage".to_owned(),
        r#"42{"not":"an array"}"#.to_owned(),
    ];
    for (n, attack) in attacks.iter().enumerate() {
        is_cut_off(addr, attack).await;
        still_served(&mut good, n as u32 + 1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_namespaces_asked_for_cost_nothing() {
    let (io, addr) = echo_server().await;
    let mut good = bystander(addr).await;
    let mut ws = client(addr).await;
    for i in 0..10_000 {
        send(&mut ws, &format!("40/n{i},")).await;
    }
    // Each is refused as the protocol says, and the connection goes on.
    for _ in 0..10_000 {
        let answer = next(&mut ws).await.unwrap();
        assert!(answer.starts_with("44/n"), "{answer}");
    }
    send(&mut ws, "40").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{"));
    assert_eq!(io.connection_count(), 2);
    still_served(&mut good, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_that_never_arrive_on_many_connections_are_dropped_with_them() {
    let (io, addr) = echo_server().await;
    let mut good = bystander(addr).await;
    let mut waiting = Vec::new();
    for _ in 0..200 {
        let mut ws = bystander(addr).await;
        send(&mut ws, r#"451-["e",{"_placeholder":true,"num":0}]"#).await;
        waiting.push(ws);
    }
    still_served(&mut good, 1).await;
    // Dropped without a close frame: their sessions go, the server stays.
    drop(waiting);
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while io.connection_count() > 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the dropped connections are gone");
    still_served(&mut good, 2).await;
}

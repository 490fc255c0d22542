//! Prometheus metrics: the endpoint `metrics_path` adds, and what it
//! shows after real traffic (sockets, connections and disconnections by
//! reason, Engine.IO sessions and traffic, broadcast fan-out, ack round
//! trips).
#![allow(clippy::unwrap_used)]

use socketio_server::prometheus_client::registry::Registry;
use socketio_server::{Server, Socket};
use support::{client, next, send, sockets_of};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;

/// A raw HTTP/1.1 request: the status, the lowercase head and the body.
async fn request(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_ascii_lowercase(),
        body.to_owned(),
    )
}

/// The metrics' lines, checked one by one so a failure shows them all.
fn assert_lines(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            text.lines().any(|l| l == *line),
            "{line:?} missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_endpoint_shows_sockets_sessions_traffic_broadcasts_and_acks() {
    let io = Server::builder().metrics_path("/metrics").build();
    let mut sockets = sockets_of(&io.sockets());
    let addr = io.listen("127.0.0.1:0").await.unwrap();

    let mut a = client(addr).await;
    send(&mut a, "40").await;
    next(&mut a).await;
    let a_socket: Socket = sockets.recv().await.unwrap();
    let mut b = client(addr).await;
    send(&mut b, "40").await;
    next(&mut b).await;
    sockets.recv().await.unwrap();

    // A broadcast to both, and an emit with an ack that a answers.
    io.emit("news", ()).unwrap();
    assert_eq!(next(&mut a).await.unwrap(), r#"42["news"]"#);
    assert_eq!(next(&mut b).await.unwrap(), r#"42["news"]"#);
    let asked = tokio::spawn(async move { a_socket.emit_with_ack::<u8>("question", ()).await });
    assert_eq!(next(&mut a).await.unwrap(), r#"420["question"]"#);
    send(&mut a, "430[42]").await;
    assert_eq!(asked.await.unwrap().unwrap(), 42);
    // b leaves its namespace.
    send(&mut b, "41").await;
    while io.sockets().socket_count() > 1 {
        tokio::task::yield_now().await;
    }

    let (status, head, text) = request(addr, "GET", "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert_lines(
        &text,
        &[
            r#"socketio_sockets{namespace="/"} 1"#,
            r#"socketio_connections_total{namespace="/"} 2"#,
            r#"socketio_disconnections_total{namespace="/",reason="client namespace disconnect"} 1"#,
            "engineio_sessions 2",
            "engineio_polling_sessions 0",
            r#"engineio_handshakes_total{transport="websocket"} 2"#,
            r#"engineio_handshakes_total{transport="polling"} 0"#,
            "engineio_upgrades_total 0",
            r#"engineio_closes_total{reason="transport close"} 0"#,
            // 40, 40, 430[42], 41
            r#"engineio_messages_received_total{transport="websocket"} 4"#,
            // The broadcast reached two sockets.
            "socketio_broadcast_recipients_sum 2.0",
            "socketio_broadcast_recipients_count 1",
            "socketio_ack_round_trip_seconds_count 1",
            "# EOF",
        ],
    );
    // 40{sid} twice, news twice, the question.
    let sent = text
        .lines()
        .find(|l| l.starts_with(r#"engineio_messages_sent_total{transport="websocket"}"#))
        .unwrap();
    assert!(sent.ends_with(" 5"), "{sent}");

    let (status, head, _) = request(addr, "POST", "/metrics").await;
    assert_eq!(status, 405);
    assert!(head.contains("allow: get, head"), "{head}");
}

#[tokio::test]
async fn without_a_path_there_is_no_endpoint_but_a_registry_of_ones_own_works() {
    let io = Server::builder().build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    assert_eq!(request(addr, "GET", "/metrics").await.0, 404);

    let mut registry = Registry::default();
    io.register_metrics(&mut registry);
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    next(&mut ws).await;
    let mut text = String::new();
    socketio_server::prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert_lines(
        &text,
        &[
            r#"socketio_sockets{namespace="/"} 1"#,
            r#"socketio_connections_total{namespace="/"} 1"#,
            "engineio_sessions 1",
        ],
    );
}

#[tokio::test]
async fn fan_out_counts_broadcasts_only_and_dynamic_children_share_a_label() {
    let io = Server::builder()
        .connection_state_recovery(socketio_server::Recovery::default())
        .metrics_path("/metrics")
        .build();
    let mut sockets = sockets_of(&io.sockets());
    io.of_regex(socketio_server::Regex::new(r"^/room-\d+$").unwrap());
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    next(&mut ws).await;
    let socket: Socket = sockets.recv().await.unwrap();
    // With recovery on, an emit to one socket goes through the adapter:
    // still not a broadcast.
    socket.emit("one", ()).unwrap();
    assert!(next(&mut ws).await.unwrap().starts_with(r#"42["one""#));
    io.emit("all", ()).unwrap();
    assert!(next(&mut ws).await.unwrap().starts_with(r#"42["all""#));
    for room in ["/room-1", "/room-2"] {
        send(&mut ws, &format!("40{room},")).await;
        assert!(next(&mut ws)
            .await
            .unwrap()
            .starts_with(&format!("40{room},")));
    }
    let (_, _, text) = request(addr, "GET", "/metrics").await;
    assert_lines(
        &text,
        &[
            "socketio_broadcast_recipients_count 1",
            r#"socketio_connections_total{namespace="dynamic:^/room-\\d+$"} 2"#,
            r#"socketio_sockets{namespace="dynamic:^/room-\\d+$"} 2"#,
        ],
    );
}

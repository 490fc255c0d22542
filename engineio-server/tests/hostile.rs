//! Hostile clients at the Engine.IO layer: lies and abandoned sessions cost
//! only their own session, and only for as long as the protocol allows,
//! while another client keeps being served.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use engineio_server::Config;
use http::StatusCode;
use support::{get, handshake, polling, post, start, ws, ws_text};

mod support;

/// Short heartbeats, so that abandoned sessions go within a second.
fn quick() -> Config {
    Config::default()
        .ping_interval(Duration::from_millis(200))
        .ping_timeout(Duration::from_millis(200))
        .allow_eio3(true)
}

async fn until_no_sessions(server: &support::TestServer, limit: Duration) {
    tokio::time::timeout(limit, async {
        while server.server.session_count() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("every abandoned session is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eio3_payload_whose_lengths_lie_closes_its_session() {
    let server = start(quick()).await;
    let (sid, _) = handshake(server.addr, 3).await;
    let path = format!("/engine.io/?EIO=3&transport=polling&sid={sid}");
    // Announces 999 characters, carries 6.
    let answer = post(server.addr, &path, "999:4hello").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(server.addr, &path).await.status,
        StatusCode::BAD_REQUEST
    );
    // Another session is untouched.
    let (other, _) = handshake(server.addr, 3).await;
    let other_path = format!("/engine.io/?EIO=3&transport=polling&sid={other}");
    assert_eq!(
        post(server.addr, &other_path, "6:4hello").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_handshakes_never_continued_expire_with_their_heartbeats() {
    let server = start(quick()).await;
    for _ in 0..5_000 {
        let answer = get(server.addr, "/engine.io/?EIO=4&transport=polling").await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    // A ping interval and a ping timeout later, all are gone.
    until_no_sessions(&server, Duration::from_secs(10)).await;
    let (sid, _) = handshake(server.addr, 4).await;
    assert_eq!(
        post(server.addr, &polling(&sid), "4hi").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_websockets_dropped_without_a_close_frame_are_gone() {
    // Node's heartbeats: the sessions go because their connections do.
    let server = start(Config::default()).await;
    let mut clients = Vec::new();
    for _ in 0..2_000 {
        let mut client = ws(server.addr, "/engine.io/?EIO=4&transport=websocket").await;
        assert!(ws_text(&mut client).await.starts_with("0{"));
        clients.push(client);
    }
    assert_eq!(server.server.session_count(), 2_000);
    // Dropped: the TCP connections close, no WebSocket close frame.
    drop(clients);
    until_no_sessions(&server, Duration::from_secs(10)).await;
}

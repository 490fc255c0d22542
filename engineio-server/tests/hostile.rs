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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sid_used_over_websocket_without_a_probe_gets_no_session() {
    let server = start(quick()).await;
    let (sid, _) = handshake(server.addr, 4).await;
    let mut client = ws(
        server.addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    // Straight to a message, no `2probe`: the session is not the
    // WebSocket's, and the message does not reach it.
    support::ws_send(&mut client, "4stolen").await;
    support::ws_send(&mut client, "5").await;
    let answer = get(server.addr, &polling(&sid)).await;
    assert_ne!(answer.text(), "4stolen");
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_text_and_binary_close_only_their_session_over_both_transports() {
    let server = start(quick().max_payload(1000)).await;
    // Polling: a POST past max_payload gets 413 and its session closes.
    let (sid, _) = handshake(server.addr, 4).await;
    let (other, _) = handshake(server.addr, 4).await;
    let big = format!("4{}", "x".repeat(2000));
    assert_eq!(
        post(server.addr, &polling(&sid), big.clone()).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        get(server.addr, &polling(&sid)).await.status,
        StatusCode::BAD_REQUEST
    );
    // WebSocket: text and binary past it close their connection with 1009.
    for frame in [
        tokio_tungstenite::tungstenite::Message::text(big.clone()),
        tokio_tungstenite::tungstenite::Message::binary(vec![0u8; 2000]),
    ] {
        use futures_util::{SinkExt, StreamExt};
        let mut client = ws(server.addr, "/engine.io/?EIO=4&transport=websocket").await;
        assert!(ws_text(&mut client).await.starts_with("0{"));
        client.send(frame).await.unwrap();
        let code = loop {
            match client.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(close)))) => {
                    break u16::from(close.code)
                }
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        };
        assert_eq!(code, 1009);
    }
    // The other session is served all along.
    assert_eq!(
        post(server.addr, &polling(&other), "4fine").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_client_that_stops_polling_while_others_broadcast_goes_after_its_lag_timeout() {
    let mut server = support::start_with(
        quick()
            .ping_interval(Duration::from_secs(25))
            .ping_timeout(Duration::from_secs(20))
            .lag(10_000, Duration::from_millis(200)),
        false,
    )
    .await;
    let (_sid, _) = handshake(server.addr, 4).await;
    let socket = server.next_connect().await;
    // Broadcasts keep coming; the client never polls again.
    for _ in 0..20 {
        socket
            .send(engineio_server::Message::Text("x".repeat(1000).into()))
            .unwrap();
    }
    let reason = tokio::time::timeout(Duration::from_secs(10), server.next_close()).await;
    assert_eq!(reason.ok(), Some(engineio_server::CloseReason::BufferFull));
}

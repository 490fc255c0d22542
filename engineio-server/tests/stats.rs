//! `Server::stats`: what an operator reads about the sessions' traffic.
#![allow(clippy::unwrap_used)]

mod support;

use engineio_server::{CloseReason, Config, Message, TrafficStats};
use support::*;

fn closes(t: &TestServer, reason: CloseReason) -> u64 {
    let stats = t.server.stats();
    stats.closes.iter().find(|(r, _)| *r == reason).unwrap().1
}

#[tokio::test]
async fn sessions_upgrades_closes_and_traffic_by_transport_are_counted() {
    let mut t = start(Config::default()).await;
    assert_eq!(t.server.stats().handshakes(), 0);

    // A polling session sends "hello" (5 bytes) and gets it echoed.
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    assert_eq!(post(t.addr, &polling(&sid), "4hello").await.text(), "ok");
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(get(t.addr, &polling(&sid)).await.text(), "4hello");
    let stats = t.server.stats();
    assert_eq!((stats.sessions, stats.polling_sessions), (1, 1));
    assert_eq!(stats.handshakes_polling, 1);
    let hello = TrafficStats {
        messages_in: 1,
        bytes_in: 5,
        messages_out: 1,
        bytes_out: 5,
    };
    assert_eq!(stats.polling, hello);
    assert_eq!(stats.websocket, TrafficStats::default());

    // It upgrades, and its traffic is now WebSocket traffic.
    let mut upgraded = probed(t.addr, &sid).await;
    ws_send(&mut upgraded, "5").await;
    ws_send(&mut upgraded, "4hi").await;
    assert_eq!(t.next_message().await, Message::Text("hi".into()));
    assert_eq!(ws_text(&mut upgraded).await, "4hi");
    let stats = t.server.stats();
    assert_eq!(
        (stats.sessions, stats.polling_sessions, stats.upgrades),
        (1, 0, 1)
    );
    assert_eq!(stats.websocket.messages_in, 1);
    assert_eq!(stats.websocket.bytes_out, 2);
    assert_eq!(stats.polling, hello);

    // A WebSocket session straight away, then both close.
    let mut direct = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    assert!(ws_text(&mut direct).await.starts_with("0{"));
    t.next_connect().await;
    assert_eq!(t.server.stats().handshakes_websocket, 1);
    ws_send(&mut upgraded, "1").await;
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    drop(direct);
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    t.wait_no_sessions().await;
    let stats = t.server.stats();
    assert_eq!((stats.sessions, stats.closed()), (0, 2));
    assert_eq!(closes(&t, CloseReason::TransportClose), 2);
    assert_eq!(closes(&t, CloseReason::PingTimeout), 0);

    // A session that closes while on polling leaves the polling count.
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    assert_eq!(t.server.stats().polling_sessions, 1);
    assert_eq!(post(t.addr, &polling(&sid), "1").await.text(), "ok");
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    assert_eq!(t.server.stats().polling_sessions, 0);
}

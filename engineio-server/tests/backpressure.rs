//! Backpressure that never punishes legal traffic: bursts of messages as
//! large as `max_payload` are delivered, a client that stops reading goes
//! once it lags past its bound for longer than its lag timeout, and the
//! hard bound caps what any client may cost.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use engineio_server::{CloseReason, Config, Error, Message};
use futures_util::{SinkExt, StreamExt};
use support::{start, start_with, ws, ws_text, Seen};
use tokio_tungstenite::tungstenite;

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_messages_up_to_max_payload_are_all_echoed() {
    let server = start(Config::default()).await;
    // A client with a small receive buffer that sends everything before it
    // reads: the echoes queue up in the session meanwhile.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!(
        "ws://{}{}",
        server.addr,
        server.url("EIO=4&transport=websocket")
    );
    let (mut client, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert!(ws_text(&mut client).await.starts_with("0{"));
    // Two of 600 kB, then ten of 900 kB (max_payload is 1 000 000): more
    // than 1 MiB queued at once, which once closed the session.
    for (size, count) in [(600_000usize, 2u8), (900_000, 10)] {
        for i in 0..count {
            let payload = vec![i; size];
            client
                .send(tungstenite::Message::binary(payload))
                .await
                .unwrap();
        }
        for i in 0..count {
            let frame = tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match client.next().await {
                        Some(Ok(tungstenite::Message::Binary(b))) => return b,
                        Some(Ok(_)) => continue,
                        other => panic!("connection ended: {other:?}"),
                    }
                }
            })
            .await
            .unwrap();
            assert_eq!((frame.len(), frame[0]), (size, i));
        }
    }
}

/// The reason the server's session closed, waiting at most `limit`.
async fn closed(server: &mut support::TestServer, limit: Duration) -> CloseReason {
    tokio::time::timeout(limit, async {
        loop {
            if let Some(Seen::Close(_, reason)) = server.events.recv().await {
                return reason;
            }
        }
    })
    .await
    .expect("the session closed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_goes_once_it_lags_past_its_timeout() {
    // 1 MiB of lag tolerated for 300 ms here (default: 30 s).
    let lag = Duration::from_millis(300);
    let mut server = start_with(Config::default().lag(1 << 20, lag), false).await;
    let mut client = ws(server.addr, &server.url("EIO=4&transport=websocket")).await;
    assert!(ws_text(&mut client).await.starts_with("0{"));
    let socket = server.next_connect().await;
    // 16 MB to a client that reads nothing: the kernel's buffers fill, the
    // rest waits in the session, past the lag bound.
    let started = Instant::now();
    for _ in 0..160 {
        socket
            .send(Message::Binary(vec![7; 100_000].into()))
            .unwrap();
    }
    assert_eq!(
        closed(&mut server, Duration::from_secs(10)).await,
        CloseReason::BufferFull
    );
    assert!(started.elapsed() >= lag, "not before its lag timeout");
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_past_the_hard_bound_fails_and_closes_the_session() {
    let mut server = start_with(Config::default().max_buffered_bytes(2 << 20), false).await;
    let mut client = ws(server.addr, &server.url("EIO=4&transport=websocket")).await;
    assert!(ws_text(&mut client).await.starts_with("0{"));
    let socket = server.next_connect().await;
    let mut sent = Ok(());
    for _ in 0..100 {
        sent = socket.send(Message::Binary(vec![7; 100_000].into()));
        if sent.is_err() {
            break;
        }
    }
    assert_eq!(sent, Err(Error::BufferFull));
    assert_eq!(
        closed(&mut server, Duration::from_secs(10)).await,
        CloseReason::BufferFull
    );
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_polling_a_burst_waits_for_the_next_get() {
    let mut server = start_with(Config::default(), false).await;
    let (sid, _) = support::handshake(server.addr, 4).await;
    let socket = server.next_connect().await;
    // 1.8 MB queued before the client polls again: more than the lag
    // bound, well within the hard bound, and collected by one GET.
    for i in 0..3u8 {
        socket
            .send(Message::Binary(vec![i; 600_000].into()))
            .unwrap();
    }
    let answer = support::get(server.addr, &support::polling(&sid)).await;
    assert_eq!(answer.status, http::StatusCode::OK);
    let packets: Vec<&str> = answer.text().split('\u{1e}').collect();
    assert_eq!(packets.len(), 3);
    assert!(packets
        .iter()
        .all(|p| p.starts_with('b') && p.len() == 800_001));
}

//! The WebSocket transport, direct and by upgrade, over real sockets.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use engineio_server::{CloseReason, Config, Message, Transport};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use support::*;
use tokio_tungstenite::tungstenite;

#[tokio::test]
async fn direct_websocket_handshake_and_echo() {
    let mut t = start(Config::default()).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    let open = ws_text(&mut ws).await;
    let open: serde_json::Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let socket = t.next_connect().await;
    assert_eq!(socket.transport(), Transport::Websocket);

    ws_send(&mut ws, "4hello").await;
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(ws_text(&mut ws).await, "4hello");

    ws.send(tungstenite::Message::binary(vec![1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        t.next_message().await,
        Message::Binary(Bytes::from_static(&[1, 2, 3]))
    );
    assert_eq!(
        ws_next(&mut ws).await,
        Some(tungstenite::Message::binary(vec![1, 2, 3]))
    );

    ws.close(None).await.unwrap();
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn v3_websocket_frames_binary_with_a_type_byte_and_answers_pings() {
    let mut t = start(Config::default().allow_eio3(true)).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=3&transport=websocket").await;
    assert!(ws_text(&mut ws).await.starts_with("0{"));
    t.next_connect().await;
    ws_send(&mut ws, "2").await;
    assert_eq!(ws_text(&mut ws).await, "3");
    ws.send(tungstenite::Message::binary(vec![4, 7, 8]))
        .await
        .unwrap();
    assert_eq!(t.next_message().await, Message::Binary(vec![7, 8].into()));
    assert_eq!(
        ws_next(&mut ws).await,
        Some(tungstenite::Message::binary(vec![4, 7, 8]))
    );
}

// Paused time: the 20 ms below pass once the GET waits on the server.
#[tokio::test(start_paused = true)]
async fn upgrade_from_polling_with_probe() {
    let mut t = start_with(Config::default(), false).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let socket = t.next_connect().await;
    // A GET is pending when the upgrade starts, as a real client's is.
    let addr = t.addr;
    let path = polling(&sid);
    let pending = tokio::spawn(async move { get(addr, &path).await });
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut ws = probed(t.addr, &sid).await;
    // The pending GET is released with a NOOP.
    assert_eq!(pending.await.unwrap().text(), "6");
    ws_send(&mut ws, "5").await;
    // Now the session's messages go over the WebSocket.
    tokio::time::timeout(Duration::from_secs(5), async {
        while socket.transport() != Transport::Websocket {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    socket.send(Message::Text("over ws".into())).unwrap();
    assert_eq!(ws_text(&mut ws).await, "4over ws");
    ws_send(&mut ws, "4from ws").await;
    assert_eq!(t.next_message().await, Message::Text("from ws".into()));
    // Polling is over for this session.
    let answer = get(t.addr, &polling(&sid)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["code"], 3);
}

#[tokio::test]
async fn upgrade_without_probe_is_refused_and_polling_goes_on() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let mut ws = ws(
        t.addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    ws_send(&mut ws, "5").await;
    assert_eq!(
        ws_next(&mut ws).await,
        None,
        "the server closes the WebSocket"
    );
    post(t.addr, &polling(&sid), "4still here").await;
    assert_eq!(t.next_message().await, Message::Text("still here".into()));
    assert_eq!(get(t.addr, &polling(&sid)).await.text(), "4still here");
}

#[tokio::test]
async fn upgrade_that_never_completes_times_out() {
    let config = Config::default().upgrade_timeout(Duration::from_millis(50));
    let mut t = start(config).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let mut ws = probed(t.addr, &sid).await;
    assert_eq!(
        ws_next(&mut ws).await,
        None,
        "closed after the upgrade timeout"
    );
    post(t.addr, &polling(&sid), "4polling").await;
    assert_eq!(t.next_message().await, Message::Text("polling".into()));
}

#[tokio::test]
async fn a_websocket_for_a_session_that_cannot_upgrade_is_opened_then_closed() {
    // Upgrades disabled: not offered, and a WebSocket that tries anyway is
    // closed at once while polling goes on.
    let mut t = start(Config::default().allow_upgrades(false)).await;
    let (sid, open) = handshake(t.addr, 4).await;
    assert_eq!(open["upgrades"], serde_json::json!([]));
    t.next_connect().await;
    let mut refused = ws(
        t.addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    assert_eq!(ws_next(&mut refused).await, None, "closed at once");
    post(t.addr, &polling(&sid), "4still polling").await;
    assert_eq!(
        t.next_message().await,
        Message::Text("still polling".into())
    );

    // A second WebSocket while the first is upgrading, and a third once
    // the session has upgraded: each is closed, and the session carries on
    // over its own WebSocket (Node does the same).
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let mut first = probed(t.addr, &sid).await;
    let path = format!("/engine.io/?EIO=4&transport=websocket&sid={sid}");
    let mut second = ws(t.addr, &path).await;
    assert_eq!(ws_next(&mut second).await, None);
    ws_send(&mut first, "5").await;
    let mut third = ws(t.addr, &path).await;
    assert_eq!(ws_next(&mut third).await, None);
    ws_send(&mut first, "4hello").await;
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(ws_text(&mut first).await, "4hello");
}

#[tokio::test]
async fn a_get_sent_after_upgrade_is_refused_even_when_read_before_it() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let mut ws = probed(t.addr, &sid).await;
    // The GET and the WebSocket's UPGRADE travel on two connections: read
    // before the UPGRADE, the GET waits for the upgrade to settle (the
    // session's unit tests step that on a fake clock); read after, it finds
    // the session upgraded. Either way it is refused.
    let addr = t.addr;
    let path = polling(&sid);
    let late_get = tokio::spawn(async move { get(addr, &path).await });
    tokio::task::yield_now().await;
    ws_send(&mut ws, "5").await;
    let answer = late_get.await.unwrap();
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["code"], 3);
    ws_send(&mut ws, "4hello").await;
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(ws_text(&mut ws).await, "4hello");
}

#[tokio::test(start_paused = true)]
async fn a_websocket_client_that_never_pongs_times_out() {
    // Node's defaults, 25 s and 20 s, on tokio's paused clock: the
    // session's timers follow it, and the test takes no time. (No waits
    // with timeouts here: the paused clock would reach them first.)
    let mut t = start(Config::default()).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    let started = tokio::time::Instant::now();
    let frame = |m: Option<Result<tungstenite::Message, _>>| m.and_then(Result::ok);
    assert!(frame(ws.next().await).is_some(), "the handshake");
    assert_eq!(
        frame(ws.next().await),
        Some(tungstenite::Message::text("2"))
    );
    assert!(matches!(t.events.recv().await, Some(Seen::Connect(_))));
    assert!(matches!(
        t.events.recv().await,
        Some(Seen::Close(_, CloseReason::PingTimeout))
    ));
    assert_eq!(started.elapsed(), Duration::from_secs(45));
}

#[tokio::test]
async fn heartbeats_over_three_intervals_keep_a_websocket_alive() {
    let config = Config::default()
        .ping_interval(Duration::from_millis(40))
        .ping_timeout(Duration::from_millis(40));
    let mut t = start(config).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    t.next_connect().await;
    for _ in 0..4 {
        assert_eq!(ws_text(&mut ws).await, "2");
        ws_send(&mut ws, "3").await;
    }
    assert!(t.events.try_recv().is_err());
}

/// The code of the close frame that ends `ws`, if it sent one.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .ok()??
        {
            Ok(tungstenite::Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn garbage_and_oversized_frames_close_only_that_session() {
    let mut t = start(Config::default().max_payload(64)).await;
    let mut other = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut other).await;
    t.next_connect().await;

    let mut bad = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut bad).await;
    t.next_connect().await;
    ws_send(&mut bad, "9nonsense").await;
    assert_eq!(t.next_close().await, CloseReason::ParseError);
    assert_eq!(ws_next(&mut bad).await, None);

    let mut big = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut big).await;
    t.next_connect().await;
    let _ = big.send(tungstenite::Message::text("4".repeat(65))).await;
    assert_eq!(t.next_close().await, CloseReason::TransportError);
    // The client is told why before the connection drops, as RFC 6455 and
    // Node's `ws` tell it: 1009.
    assert_eq!(close_code(&mut big).await, Some(1009));

    // Text that is not UTF-8: 1007. (A client library will not send it: the
    // frame is written by hand, masked as a client's must be.)
    let stream = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", t.addr);
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    t.next_connect().await;
    let mut tcp = ws.into_inner();
    let payload = [b'4', 0xff, 0xfe];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(&payload);
    tokio::io::AsyncWriteExt::write_all(&mut tcp, &frame)
        .await
        .unwrap();
    assert_eq!(t.next_close().await, CloseReason::TransportError);
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut rest),
    )
    .await;
    // The OPEN packet, then a close frame (0x88) with code 1007.
    let close = rest
        .windows(2)
        .position(|w| w == [0x88, 15])
        .expect("a close frame");
    assert_eq!(&rest[close + 2..close + 4], &1007u16.to_be_bytes());

    ws_send(&mut other, "4fine").await;
    assert_eq!(t.next_message().await, Message::Text("fine".into()));
    assert_eq!(ws_text(&mut other).await, "4fine");
}

// Paused time: the 20 ms below pass once the GET waits on the server.
#[tokio::test(start_paused = true)]
async fn server_close_sends_close_packets_and_frees_the_port() {
    let mut t = start(Config::default()).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    t.next_connect().await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let addr = t.addr;
    let pending = tokio::spawn(async move { get(addr, &polling(&sid)).await });
    tokio::time::sleep(Duration::from_millis(20)).await;

    t.server.close().await;
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_next(&mut ws).await, None);
    assert_eq!(pending.await.unwrap().text(), "1");
    for _ in 0..2 {
        assert_eq!(t.next_close().await, CloseReason::ServerShuttingDown);
    }
    assert_eq!(t.server.session_count(), 0);
    // The port is free again.
    tokio::net::TcpListener::bind(t.addr).await.unwrap();
}

#[tokio::test]
async fn one_shared_message_reaches_every_session() {
    let mut t = start_with(Config::default(), false).await;
    let mut clients = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut c = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
        ws_text(&mut c).await;
        clients.push(c);
        sockets.push(t.next_connect().await);
    }
    let message = engineio_server::OutgoingMessage::new(Message::Text("all".into()));
    for socket in &sockets {
        socket.send(message.clone()).unwrap();
    }
    for c in &mut clients {
        assert_eq!(ws_text(c).await, "4all");
    }
}

#[tokio::test]
async fn a_websocket_client_that_stops_reading_is_disconnected_at_the_bound() {
    let mut t = start_with(Config::default().max_buffered_bytes(64 * 1024), false).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    let socket = t.next_connect().await;
    // The client reads nothing: the kernel buffers fill, then the session's.
    let chunk = engineio_server::OutgoingMessage::new(Message::Binary(vec![0; 32 * 1024].into()));
    let mut sent = 0usize;
    let refused = loop {
        match socket.send(chunk.clone()) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(
            sent < 10_000,
            "320 MB accepted for a client that does not read"
        );
        tokio::task::yield_now().await;
    };
    assert_eq!(refused, engineio_server::Error::BufferFull);
    assert_eq!(t.next_close().await, CloseReason::BufferFull);
    t.wait_no_sessions().await;
    // What reached the kernel arrives, then the end.
    let mut received = 0usize;
    while let Some(frame) = ws_next(&mut ws).await {
        received += 1;
        assert!(matches!(frame, tungstenite::Message::Binary(_)));
    }
    assert!(received <= sent);
}

#[tokio::test]
async fn a_panicking_handler_does_not_stop_the_session() {
    let mut t = start(Config::default()).await;
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    ws_text(&mut ws).await;
    t.next_connect().await;
    ws_send(&mut ws, "4panic").await;
    ws_send(&mut ws, "4after").await;
    assert_eq!(t.next_message().await, Message::Text("after".into()));
    assert_eq!(ws_text(&mut ws).await, "4after");
    ws.close(None).await.unwrap();
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn every_get_during_an_upgrade_gets_a_noop() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let mut ws = probed(t.addr, &sid).await;
    // The client polled again before reading `3probe`: answered at once.
    for _ in 0..2 {
        assert_eq!(get(t.addr, &polling(&sid)).await.text(), "6");
    }
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4upgraded").await;
    assert_eq!(t.next_message().await, Message::Text("upgraded".into()));
}

#[tokio::test]
async fn a_session_closed_during_its_upgrade_gets_close_over_websocket() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let socket = t.next_connect().await;
    let mut ws = probed(t.addr, &sid).await;
    socket.close();
    assert_eq!(t.next_close().await, CloseReason::ForcedClose);
    ws_send(&mut ws, "5").await;
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_next(&mut ws).await, None);
    t.wait_no_sessions().await;
}

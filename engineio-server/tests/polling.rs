//! HTTP long-polling over real sockets on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use engineio_server::{CloseReason, Config, Message};
use http::{Request, StatusCode};
use http_body_util::Full;
use support::*;

#[tokio::test]
async fn handshake_announces_the_session() {
    let config = Config::default()
        .ping_interval(Duration::from_millis(1234))
        .ping_timeout(Duration::from_millis(567))
        .max_payload(4321);
    let mut t = start(config).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "text/plain; charset=UTF-8");
    let text = answer.text();
    assert!(text.starts_with('0'), "{text}");
    let open: serde_json::Value = serde_json::from_str(&text[1..]).unwrap();
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 1234);
    assert_eq!(open["pingTimeout"], 567);
    assert_eq!(open["maxPayload"], 4321);
    let sid = open["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 20);
    let socket = t.next_connect().await;
    assert_eq!(socket.sid().as_str(), sid);
    assert_eq!(t.server.session_count(), 1);
}

#[tokio::test]
async fn messages_flow_both_ways_and_queued_packets_share_one_payload() {
    let mut t = start_with(Config::default(), false).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let socket = t.next_connect().await;

    let answer = post(t.addr, &polling(&sid), "4hello\x1ebAQID").await;
    assert_eq!((answer.status, answer.text()), (StatusCode::OK, "ok"));
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(
        t.next_message().await,
        Message::Binary(Bytes::from_static(&[1, 2, 3]))
    );

    socket.send(Message::Text("one".into())).unwrap();
    socket.send(Message::Text("two".into())).unwrap();
    socket
        .send(Message::Binary(Bytes::from_static(&[9])))
        .unwrap();
    let answer = get(t.addr, &polling(&sid)).await;
    assert_eq!(answer.text(), "4one\x1e4two\x1ebCQ==");
}

// Paused time: the 50 ms below pass once the GET waits on the server.
#[tokio::test(start_paused = true)]
async fn a_get_waits_until_there_is_something_to_send() {
    let mut t = start_with(Config::default(), false).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let socket = t.next_connect().await;
    let addr = t.addr;
    let pending = tokio::spawn(async move { get(addr, &polling(&sid)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !pending.is_finished(),
        "the GET answered with nothing to send"
    );
    socket.send(Message::Text("late".into())).unwrap();
    assert_eq!(pending.await.unwrap().text(), "4late");
}

// Paused time: the 50 ms below pass once the GET waits on the server.
#[tokio::test(start_paused = true)]
async fn overlapping_get_closes_the_session() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let addr = t.addr;
    let path = polling(&sid);
    let first = tokio::spawn(async move { get(addr, &path).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = get(t.addr, &polling(&sid)).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.json()["code"], 3);
    assert_eq!(t.next_close().await, CloseReason::TransportError);
    // The first GET learns that the session is over.
    assert_eq!(first.await.unwrap().text(), "1");
    t.wait_no_sessions().await;
}

// Paused time: the 50 ms below pass once the GET waits on the server.
#[tokio::test(start_paused = true)]
async fn an_aborted_get_closes_the_session() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let addr = t.addr;
    let pending = tokio::spawn(async move { get(addr, &polling(&sid)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    pending.abort();
    assert_eq!(t.next_close().await, CloseReason::TransportError);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn a_post_above_max_payload_gets_413_and_closes_the_session() {
    let mut t = start(Config::default().max_payload(100)).await;
    let (sid, open) = handshake(t.addr, 4).await;
    assert_eq!(open["maxPayload"], 100);
    t.next_connect().await;
    // Exactly at the limit is fine.
    let answer = post(t.addr, &polling(&sid), format!("4{}", "a".repeat(99))).await;
    assert_eq!(answer.status, StatusCode::OK);
    t.next_message().await;
    let answer = post(t.addr, &polling(&sid), format!("4{}", "a".repeat(100))).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.next_close().await, CloseReason::TransportError);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn a_malformed_payload_is_a_parse_error() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    let answer = post(t.addr, &polling(&sid), "4ok\x1e9bad").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(t.next_close().await, CloseReason::ParseError);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn a_close_packet_from_the_client_is_a_transport_close() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    post(t.addr, &polling(&sid), "1").await;
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    t.wait_no_sessions().await;
    let answer = get(t.addr, &polling(&sid)).await;
    assert_eq!(answer.json()["code"], 1, "the sid is gone");
}

#[tokio::test]
async fn a_get_sent_before_the_close_but_read_after_it_still_gets_its_noop() {
    let mut t = start(Config::default()).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    // The client sent a GET, then a CLOSE on another connection; the CLOSE
    // was read first.
    post(t.addr, &polling(&sid), "1").await;
    assert_eq!(t.next_close().await, CloseReason::TransportClose);
    let in_flight = get(t.addr, &polling(&sid)).await;
    assert_eq!((in_flight.status, in_flight.text()), (StatusCode::OK, "6"));
    // Only that one: the session is gone for anything after it.
    let answer = get(t.addr, &polling(&sid)).await;
    assert_eq!(answer.json()["code"], 1, "the sid is gone");
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn a_client_close_releases_the_pending_get_with_a_noop() {
    for (eio, noop) in [(4, "6"), (3, "1:6")] {
        let mut t = start(Config::default().allow_eio3(true)).await;
        let (sid, _) = handshake(t.addr, eio).await;
        t.next_connect().await;
        let path = format!("/engine.io/?EIO={eio}&transport=polling&sid={sid}");
        let addr = t.addr;
        let get_path = path.clone();
        // Sent first, on its own connection: whether the server reads it
        // before or after the CLOSE, it is the GET the client had pending,
        // and it gets the NOOP.
        let pending = tokio::spawn(async move { get(addr, &get_path).await });
        tokio::task::yield_now().await;
        post(t.addr, &path, if eio == 4 { "1" } else { "1:1" }).await;
        let answer = pending.await.unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.text(), noop, "EIO={eio}");
        assert_eq!(t.next_close().await, CloseReason::TransportClose);
        // At once, not only once the session is swept away.
        let answer = get(t.addr, &path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.json()["code"], 1, "the sid is gone");
    }
}

#[tokio::test]
async fn refused_requests_get_the_spec_error_and_status() {
    let config = Config::default().allow_request(|head| {
        if head.headers.contains_key("x-banned") {
            Err(engineio_server::Refusal::new("go away"))
        } else {
            Ok(())
        }
    });
    let t = start(config).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let cases: &[(&str, u16, u64, &str)] = &[
        ("EIO=4&transport=foo", 400, 0, "Transport unknown"),
        ("EIO=4", 400, 0, "Transport unknown"),
        ("transport=polling", 400, 5, "Unsupported protocol version"),
        (
            "EIO=5&transport=polling",
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            "EIO=3&transport=polling",
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            "EIO=4&transport=polling&sid=nope",
            400,
            1,
            "Session ID unknown",
        ),
        // transport=websocket without an upgrade header.
        ("EIO=4&transport=websocket", 400, 3, "Bad request"),
    ];
    for &(query, status, code, message) in cases {
        let answer = get(t.addr, &format!("/engine.io/?{query}")).await;
        assert_eq!(answer.status.as_u16(), status, "{query}");
        assert_eq!(answer.headers["content-type"], "application/json");
        assert_eq!(
            answer.json(),
            serde_json::json!({"code": code, "message": message}),
            "{query}"
        );
    }
    // Handshake with POST.
    let answer = post(t.addr, "/engine.io/?EIO=4&transport=polling", "").await;
    assert_eq!(answer.json()["code"], 2);
    // Wrong EIO for the session.
    let answer = get(
        t.addr,
        &format!("/engine.io/?EIO=3&transport=polling&sid={sid}"),
    )
    .await;
    assert_eq!(answer.json()["code"], 5, "v3 is off on this server");
    // allow_request says no.
    let request = Request::get("/engine.io/?EIO=4&transport=polling")
        .header("x-banned", "1")
        .body(Full::default())
        .unwrap();
    let answer = send(t.addr, request).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json(),
        serde_json::json!({"code": 4, "message": "go away"})
    );
    // Other paths.
    assert_eq!(
        get(t.addr, "/elsewhere").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_async_allow_request_hook_may_wait_before_it_answers() {
    let config = Config::default().allow_request_async(|head| {
        let token = head.headers.get("x-token").cloned();
        async move {
            // A lookup elsewhere.
            tokio::task::yield_now().await;
            match token {
                Some(t) if t == "good" => Ok(()),
                _ => Err(engineio_server::Refusal::new("bad token")),
            }
        }
    });
    let mut t = start(config).await;
    let refused = send(
        t.addr,
        Request::get("/engine.io/?EIO=4&transport=polling")
            .header("x-token", "bad")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["message"], "bad token");
    let allowed = send(
        t.addr,
        Request::get("/engine.io/?EIO=4&transport=polling")
            .header("x-token", "good")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(allowed.status, StatusCode::OK);
    t.next_connect().await;
    // Requests of an open session are not asked about again.
    let open: serde_json::Value = serde_json::from_str(&allowed.text()[1..]).unwrap();
    let sid = open["sid"].as_str().unwrap();
    assert_eq!(
        post(t.addr, &polling(sid), "4hi").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn connection_errors_are_observable() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let config = Config::default().on_connection_error(move |e| {
        let _ = tx.send((e.code.code(), e.message.clone(), e.uri.to_string()));
    });
    let t = start(config).await;
    get(t.addr, "/engine.io/?EIO=4&transport=polling&sid=unknown").await;
    let (code, message, uri) = rx.recv().await.unwrap();
    assert_eq!((code, message.as_str()), (1, "Session ID unknown"));
    assert!(uri.contains("sid=unknown"));
}

#[tokio::test]
async fn eio3_clients_are_served_when_allowed() {
    let mut t = start(Config::default().allow_eio3(true)).await;
    let answer = get(t.addr, "/engine.io/?EIO=3&transport=polling").await;
    let text = answer.text().to_owned();
    // v3 string payload: <length>:<packet>, and no maxPayload.
    let (len, packet) = text.split_once(':').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), packet.len());
    let open: serde_json::Value = serde_json::from_str(&packet[1..]).unwrap();
    assert!(open.get("maxPayload").is_none());
    let sid = open["sid"].as_str().unwrap().to_owned();
    t.next_connect().await;
    let path = format!("/engine.io/?EIO=3&transport=polling&sid={sid}");
    // The v3 client pings; the server answers.
    post(t.addr, &path, "1:2").await;
    assert_eq!(get(t.addr, &path).await.text(), "1:3");
    // Binary goes back as a binary payload to a client that takes binary.
    post(t.addr, &path, "6:b4AQID").await;
    assert_eq!(
        t.next_message().await,
        Message::Binary(vec![1, 2, 3].into())
    );
    let answer = get(t.addr, &path).await;
    assert_eq!(answer.headers["content-type"], "application/octet-stream");
    assert_eq!(&answer.body[..], &[1, 4, 255, 4, 1, 2, 3]);
    // The handshake decided it for the session's life: a later `b64` on
    // one request changes nothing, as in Node.
    post(t.addr, &path, "6:b4AQID").await;
    let answer = get(t.addr, &format!("{path}&b64=1")).await;
    assert_eq!(&answer.body[..], &[1, 4, 255, 4, 1, 2, 3]);
}

#[tokio::test]
async fn an_eio3_session_opened_with_b64_gets_base64_for_its_whole_life() {
    let mut t = start(Config::default().allow_eio3(true)).await;
    let answer = get(t.addr, "/engine.io/?EIO=3&transport=polling&b64=1").await;
    let text = answer.text().to_owned();
    let open: serde_json::Value = serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
    let sid = open["sid"].as_str().unwrap().to_owned();
    t.next_connect().await;
    // Later requests leave `b64` out, as the protocol test suite's do.
    let path = format!("/engine.io/?EIO=3&transport=polling&sid={sid}");
    post(t.addr, &path, "6:4hello10:b4AQIDBA==").await;
    assert_eq!(t.next_message().await, Message::Text("hello".into()));
    assert_eq!(
        t.next_message().await,
        Message::Binary(vec![1, 2, 3, 4].into())
    );
    let answer = get(t.addr, &path).await;
    assert_eq!(answer.text(), "6:4hello10:b4AQIDBA==");
}

#[tokio::test]
async fn jsonp_polling_is_served_as_a_script() {
    let mut t = start(Config::default()).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling&j=0").await;
    assert_eq!(
        answer.headers["content-type"],
        "text/javascript; charset=UTF-8"
    );
    let text = answer.text();
    assert!(text.starts_with("___eio[0](\"0{"), "{text}");
    let sid = t.next_connect().await.sid().to_string();
    let path = format!("/engine.io/?EIO=4&transport=polling&sid={sid}&j=0");
    let request = Request::post(&path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from("d=4line1%5Cnline2")))
        .unwrap();
    assert_eq!(send(t.addr, request).await.status, StatusCode::OK);
    assert_eq!(t.next_message().await, Message::Text("line1\nline2".into()));
    assert_eq!(
        get(t.addr, &path).await.text(),
        r#"___eio[0]("4line1\nline2");"#
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_at_the_bound() {
    let mut t = start(Config::default().max_buffered_bytes(1000)).await;
    handshake(t.addr, 4).await;
    let socket = t.next_connect().await;
    let chunk = Message::Text("x".repeat(100).into());
    for _ in 0..10 {
        socket.send(chunk.clone()).unwrap();
    }
    assert_eq!(socket.send(chunk), Err(engineio_server::Error::BufferFull));
    assert_eq!(t.next_close().await, CloseReason::BufferFull);
    assert!(!socket.is_connected());
}

#[tokio::test]
async fn a_client_that_never_polls_times_out() {
    let config = Config::default()
        .ping_interval(Duration::from_millis(50))
        .ping_timeout(Duration::from_millis(50));
    let mut t = start(config).await;
    handshake(t.addr, 4).await;
    t.next_connect().await;
    assert_eq!(t.next_close().await, CloseReason::PingTimeout);
    t.wait_no_sessions().await;
}

#[tokio::test]
async fn heartbeats_keep_a_polling_session_alive() {
    let config = Config::default()
        .ping_interval(Duration::from_millis(40))
        .ping_timeout(Duration::from_millis(40));
    let mut t = start(config).await;
    let (sid, _) = handshake(t.addr, 4).await;
    t.next_connect().await;
    for _ in 0..4 {
        assert_eq!(get(t.addr, &polling(&sid)).await.text(), "2");
        post(t.addr, &polling(&sid), "3").await;
    }
    assert!(
        t.events.try_recv().is_err(),
        "no close while pongs come back"
    );
}

#[tokio::test]
async fn transports_that_are_not_allowed_are_unknown() {
    let t = start(Config::default().transports([engineio_server::Transport::Websocket])).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json(),
        serde_json::json!({"code": 0, "message": "Transport unknown"})
    );
    let mut ws = ws(t.addr, "/engine.io/?EIO=4&transport=websocket").await;
    assert!(ws_text(&mut ws).await.starts_with("0{"));
}

#[tokio::test]
async fn no_upgrade_is_offered_when_websocket_is_not_allowed() {
    let t = start(Config::default().transports([engineio_server::Transport::Polling])).await;
    let (_, open) = handshake(t.addr, 4).await;
    assert_eq!(open["upgrades"], serde_json::json!([]));
}

//! Connection state recovery with the real `socket.io-client` 4.x
//! (`interop/recovery_client.js`): the server drops the transport while it
//! broadcasts numbered events; the client must see every number once, in
//! order, and `recovered` after each of three losses; and must not recover
//! once the session expired.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use socketio_server::{Recovery, Server, Socket};

/// On "start", broadcasts 0..=`last` every 20 ms, dropping the client's
/// transport after each number in `kills`; the client sends a message that
/// is not a socket.io packet after each number in `garbage`.
async fn run(
    transports: &str,
    max: Duration,
    delay_ms: u64,
    last: u64,
    kills: &'static [u64],
    garbage: &[u64],
) -> serde_json::Value {
    let io = Server::builder()
        .connection_state_recovery(Recovery::default().max_disconnection_duration(max))
        .build();
    io.of("/").on_connection(move |socket: Socket| async move {
        socket.on("start", move |s: Socket| async move {
            let ns = s.namespace().clone();
            for n in 0..=last {
                let _ = ns.emit("n", n);
                if kills.contains(&n) {
                    for socket in ns.sockets() {
                        socket.conn().close();
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let args = [
        transports.to_owned(),
        format!("http://{addr}"),
        delay_ms.to_string(),
        last.to_string(),
        garbage
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    ];
    let name = format!("recovery {transports}");
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client(&name, "recovery_client.js", &args)
    })
    .await
    .unwrap();
    io.close().await;
    seen
}

async fn recovers_three_times(transports: &str) {
    let seen = run(
        transports,
        Duration::from_secs(120),
        50,
        40,
        &[8, 18, 28],
        &[],
    )
    .await;
    assert_eq!(
        seen["connects"],
        json!([false, true, true, true]),
        "{transports}: {seen}"
    );
    let all: Vec<u64> = (0..=40).collect();
    assert_eq!(
        seen["numbers"],
        json!(all),
        "{transports}: every number once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_over_polling() {
    recovers_three_times("polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_over_websocket() {
    recovers_three_times("websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_is_refused_once_the_session_expired() {
    // The client waits 600 ms before coming back; sessions last 200 ms.
    let seen = run("websocket", Duration::from_millis(200), 600, 60, &[2], &[]).await;
    assert_eq!(seen["connects"], json!([false, false]), "{seen}");
    let numbers = seen["numbers"].as_array().unwrap();
    assert!(
        numbers.len() < 61,
        "packets sent while away are lost: {seen}"
    );
}

/// Node closes a client that sends something that is not a socket.io
/// packet with a reason recovery accepts: the client comes back recovered.
async fn recovers_after_garbage(transports: &str) {
    let seen = run(transports, Duration::from_secs(120), 50, 30, &[], &[8, 18]).await;
    assert_eq!(
        seen["connects"],
        json!([false, true, true]),
        "{transports}: {seen}"
    );
    let all: Vec<u64> = (0..=30).collect();
    assert_eq!(seen["numbers"], json!(all), "{transports}: {seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_after_an_invalid_packet_over_polling() {
    recovers_after_garbage("polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_after_an_invalid_packet_over_websocket() {
    recovers_after_garbage("websocket").await;
}

//! Our server over TLS (`listen_tls`) with the real `socket.io-client` 4.x
//! (`interop/tls_client.js`): HTTPS long-polling, WSS, and the upgrade.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use socketio_server::{AckSender, Server, Socket, TlsConfig};

async fn scenario(transports: &str) -> serde_json::Value {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tls = TlsConfig::from_pem(
        made.cert.pem().as_bytes(),
        made.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap();
    let io = Server::builder().build();
    io.on_connection(|socket: Socket| async move {
        socket.on("ping", |ack: AckSender| async move {
            let _ = ack.send("pong over TLS");
        });
    });
    let addr = io.listen_tls("127.0.0.1:0", tls).await.unwrap();
    let args = [
        transports.to_owned(),
        format!("https://localhost:{}", addr.port()),
    ];
    let name = format!("tls {transports}");
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client(&name, "tls_client.js", &args)
    })
    .await
    .unwrap();
    io.close().await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_polling() {
    let seen = scenario("polling").await;
    assert_eq!(
        seen,
        json!({"answer": "pong over TLS", "transport": "polling"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss() {
    let seen = scenario("websocket").await;
    assert_eq!(
        seen,
        json!({"answer": "pong over TLS", "transport": "websocket"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_polling_upgraded_to_wss() {
    let seen = scenario("polling,websocket").await;
    assert_eq!(
        seen,
        json!({"answer": "pong over TLS", "transport": "websocket"})
    );
}

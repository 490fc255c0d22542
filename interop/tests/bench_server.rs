//! The bench server's events (`examples/bench_server.rs`), checked with the
//! real `socket.io-client` 4.x.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use socketio_server::{Server, Socket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_server_echoes_acks_and_broadcasts() {
    let io = Server::builder().build();
    io.of("/")
        .on_connection(|socket: Socket| async move { examples::bench_connection(socket) });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let args = [format!("http://{addr}")];
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client("bench server", "bench_client.js", &args)
    })
    .await
    .unwrap();
    assert_eq!(
        seen["a"],
        json!([["echo", {"n": 1}], ["ack", [2, "two"]], ["broadcast", "all"]])
    );
    assert_eq!(seen["b"], json!([["broadcast", "all"]]));
    io.close().await;
}

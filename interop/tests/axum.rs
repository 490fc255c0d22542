//! `examples/axum.rs` with the real `socket.io-client` 4.x
//! (`interop/axum_client.js`): socket.io and a REST API in one axum app,
//! the API reading a room's size and emitting to it.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use serde_json::json;
use socketio_server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_route_reads_a_room_and_emits_to_it() {
    let io = Server::builder().build();
    examples::rooms_sockets(&io);
    let app = examples::rooms_api(&io).layer(io.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let args = [format!("http://{addr}")];
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client("axum", "axum_client.js", &args)
    })
    .await
    .unwrap();
    assert_eq!(
        seen,
        json!({"size": 1, "reached": 1, "announcement": "hello room"})
    );
}

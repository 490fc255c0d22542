//! The server under axum: as a layer in front of a router, and as a
//! service on a route; the client's address from axum's `ConnectInfo`.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use socketio_server::{Server, Socket};
use support::{channel, next, recv, send};

mod support;

/// Serves `app` on a free port, with connection info.
async fn serve(app: Router) -> SocketAddr {
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
    addr
}

/// A plain HTTP GET of `path`: the status and the body.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

/// Long-polling and WebSocket reach the server through the host, and a
/// client joins `/`.
async fn socket_io_answers(addr: SocketAddr) {
    let (status, open) = http_get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    assert!(open.starts_with("0{\"sid\""), "{open}");
    let mut ws = support::client(addr).await;
    send(&mut ws, "40").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{\"sid\""));
}

fn server() -> (Server, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let io = Server::builder().build();
    let (tx, rx) = channel();
    io.on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket.handshake().address.clone());
        }
    });
    (io, rx)
}

#[tokio::test]
async fn as_a_layer_it_answers_its_path_and_hands_the_rest_to_the_router() {
    let (io, mut addresses) = server();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .layer(io.layer());
    let addr = serve(app).await;

    assert_eq!(http_get(addr, "/health").await, (200, "ok".to_owned()));
    assert_eq!(http_get(addr, "/nowhere").await.0, 404);
    socket_io_answers(addr).await;
    let address = recv(&mut addresses).await;
    if cfg!(feature = "axum") {
        assert_eq!(address, "127.0.0.1", "from axum's ConnectInfo");
    }
}

#[tokio::test]
async fn as_a_service_it_serves_a_route() {
    let (io, _addresses) = server();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/socket.io/", io.clone());
    let addr = serve(app).await;
    assert_eq!(http_get(addr, "/health").await, (200, "ok".to_owned()));
    socket_io_answers(addr).await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn nested_under_axum_it_still_sees_its_own_path() {
    let (io, _addresses) = server();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest_service("/socket.io", io.clone());
    let addr = serve(app).await;
    socket_io_answers(addr).await;
}

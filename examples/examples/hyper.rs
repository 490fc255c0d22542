//! Socket.IO mounted in a hyper server of your own, beside another route.
//!
//! Run it with `cargo run -p examples --example hyper`; it listens on
//! 127.0.0.1:$PORT (default 3000): socket.io at `/socket.io/`, a greeting
//! everywhere else. Each socket gets `welcome` with its client's address,
//! which the service hands the server as a `RemoteAddr` extension.

use std::convert::Infallible;

use bytes::Bytes;
use engineio_server::RemoteAddr;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use socketio_server::{Server, Socket};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let io = Server::builder().build();
    io.on_connection(|socket: Socket| async move {
        let _ = socket.emit("welcome", socket.handshake().address.clone());
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", examples::port())).await?;
    println!("hyper with socket.io on http://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => break,
        };
        let io = io.clone();
        let service = service_fn(move |mut request: Request<Incoming>| {
            let io = io.clone();
            async move {
                if !io.matches_path(request.uri().path()) {
                    let hello = Full::new(Bytes::from_static(b"hello from hyper\n"));
                    return Ok::<_, Infallible>(Response::new(hello));
                }
                request.extensions_mut().insert(RemoteAddr(peer));
                Ok(io.handle(request).await)
            }
        });
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades(),
        );
    }
    io.close().await;
    Ok(())
}

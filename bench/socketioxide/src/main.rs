//! socketioxide answering the bench protocol of `examples/bench_server`:
//! `echo`, `echo_ack` and `broadcast` on `/`, default options otherwise.
//! Listens on 127.0.0.1:$PORT (default 3000).

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (svc, io) = SocketIo::new_svc();
    let all = io.clone();
    io.ns("/", async move |s: SocketRef| {
        s.on("echo", async |s: SocketRef, Data::<Value>(data)| {
            let _ = s.emit("echo", &data);
        });
        s.on("echo_ack", async |Data::<Value>(data), ack: AckSender| {
            let _ = ack.send(&data);
        });
        let all = all.clone();
        s.on("broadcast", async move |Data::<Value>(data)| {
            let _ = all.emit("broadcast", &data).await;
        });
    });
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

//! The Socket.IO server that outside conformance tools drive.
//!
//! Run it with `cargo run --release -p examples --example conformance`; it
//! listens on 127.0.0.1:$PORT (default 3000), path `/socket.io/`, with
//! socket.io 2.x clients allowed (engine.io v3), ping interval 300 ms, ping
//! timeout 200 ms, max payload 1 000 000 bytes, connect timeout 1000 ms and
//! CORS allowing any origin. Namespaces `/` and `/custom` behave alike:
//!
//! - on connection the socket emits `auth` with the handshake's auth payload;
//! - `message` is echoed to the sender as `message-back`, same arguments;
//! - `message-with-ack` is acknowledged with the same arguments;
//! - `join` (room) joins that room;
//! - `to-room` (room, ...args) emits `message-back` with args to the room,
//!   the sender left out;
//! - `broadcast` (...args) emits `message-back` with args to every socket of
//!   the namespace.
//!
//! With `RECOVERY=1` in the environment, connection state recovery is on
//! (maximum disconnection duration 2 min, default options otherwise).

use std::time::Duration;

use engineio_server::Cors;
use examples::conformance_connection;
use socketio_server::{Recovery, Server, Socket};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let port = examples::port();
    let mut builder = Server::builder();
    if std::env::var("RECOVERY").as_deref() == Ok("1") {
        builder = builder.connection_state_recovery(
            Recovery::default().max_disconnection_duration(Duration::from_secs(120)),
        );
    }
    let io = builder
        .path("/socket.io/")
        .connect_timeout(Duration::from_millis(1000))
        .engine(|e| {
            e.allow_eio3(true)
                .ping_interval(Duration::from_millis(300))
                .ping_timeout(Duration::from_millis(200))
                .max_payload(1_000_000)
                .cors(Cors::any())
        })
        .build();
    for nsp in ["/", "/custom"] {
        io.of(nsp)
            .on_connection(|socket: Socket| async move { conformance_connection(socket) });
    }
    let addr = io.listen(("127.0.0.1", port)).await?;
    println!("socket.io conformance server on http://{addr}/socket.io/");
    tokio::signal::ctrl_c().await?;
    io.close().await;
    Ok(())
}

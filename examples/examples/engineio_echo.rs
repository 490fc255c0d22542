//! An engine.io server that sends every message back to its sender, as it
//! came: text as text, binary as binary.
//!
//! Run it with `cargo run --release -p examples --example engineio_echo`;
//! it listens on 127.0.0.1:$PORT (default 3000), path `/engine.io/`, with
//! ping interval 300 ms, ping timeout 200 ms, max payload 1 000 000 bytes,
//! CORS allowing any origin and protocol v3 clients allowed. Outside tools
//! drive it with exactly these settings. `RUST_LOG=engineio_server=debug`
//! shows handshakes, upgrades and closes.

use std::time::Duration;

use engineio_server::{CloseReason, Config, Connection, Cors, Handler, Message, Server, Socket};

struct Echo;

struct EchoConnection(Socket);

impl Handler for Echo {
    type Connection = EchoConnection;

    fn on_connect(&self, socket: Socket) -> EchoConnection {
        EchoConnection(socket)
    }
}

impl Connection for EchoConnection {
    fn on_message(&mut self, message: Message) {
        // Fails only once the session is closing; nothing to do then.
        let _ = self.0.send(message);
    }

    fn on_close(&mut self, _reason: CloseReason) {}
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let port = examples::port();
    let config = Config::default()
        .path("/engine.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .cors(Cors::any())
        .allow_eio3(true);
    let server = Server::new(config, Echo);
    let addr = server.listen(("127.0.0.1", port)).await?;
    println!("engine.io echo server on http://{addr}/engine.io/");
    tokio::signal::ctrl_c().await?;
    server.close().await;
    Ok(())
}

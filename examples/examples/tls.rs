//! Socket.IO over HTTPS and WSS.
//!
//! Run it with `cargo run -p examples --example tls`; it listens on
//! 127.0.0.1:$PORT (default 3443). With `TLS_CERT` and `TLS_KEY` set to PEM
//! files it serves that certificate; otherwise it makes a self-signed one
//! for `localhost` (clients must be told to accept it, e.g.
//! `rejectUnauthorized: false` in Node, or `curl -k`).

use socketio_server::{AckSender, Server, Socket, TlsConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let tls = match (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        (Ok(cert), Ok(key)) => TlsConfig::from_pem_files(cert, key)?,
        _ => {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
            println!("no TLS_CERT/TLS_KEY: serving a self-signed certificate for localhost");
            TlsConfig::from_pem(
                made.cert.pem().as_bytes(),
                made.key_pair.serialize_pem().as_bytes(),
            )?
        }
    };
    let io = Server::builder().build();
    io.on_connection(|socket: Socket| async move {
        socket.on("ping", |ack: AckSender| async move {
            let _ = ack.send("pong over TLS");
        });
    });
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3443);
    let addr = io.listen_tls(("127.0.0.1", port), tls).await?;
    println!("socket.io over TLS on https://localhost:{}", addr.port());
    tokio::signal::ctrl_c().await?;
    io.close().await;
    Ok(())
}

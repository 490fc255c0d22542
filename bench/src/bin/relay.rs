//! The floor the servers are compared with: a bare tokio-tungstenite server
//! that does only what the benchmark's scenarios need, with no Socket.IO
//! library behind it. It sends the Engine.IO OPEN packet, answers `40`,
//! and answers the bench events by string surgery, without parsing JSON:
//! `echo` comes back as it came, `echo_ack` as its ack, `broadcast` goes to
//! every connection. No heartbeats, no polling, no checks.
//!
//! Listens on 127.0.0.1:$PORT (default 3000).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Peers = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Utf8Bytes>>>>;

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(port))
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let peers: Peers = Arc::default();
    let ids = AtomicU64::new(0);
    loop {
        let (stream, _) = listener.accept().await?;
        let id = ids.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(connection(stream, id, peers.clone()));
    }
}

async fn connection(stream: TcpStream, id: u64, peers: Peers) {
    let _ = stream.set_nodelay(true);
    // Small buffers, as a lean server would keep them (tungstenite's
    // default read buffer is 128 KiB per connection).
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.feed(Message::Text(text)).await.is_err() {
                return;
            }
            while let Ok(more) = rx.try_recv() {
                if sink.feed(Message::Text(more)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let open = format!(
        "0{{\"sid\":\"relay{id}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
    );
    let _ = tx.send(open.into());
    peers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, tx.clone());
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else {
            if message.is_close() {
                break;
            }
            continue;
        };
        let text_str = text.as_str();
        if text_str == "40" {
            let _ = tx.send(format!("40{{\"sid\":\"relay-s{id}\"}}").into());
        } else if text_str.starts_with("42[\"echo\",") {
            let _ = tx.send(text);
        } else if text_str.starts_with("42[\"broadcast\",") {
            let targets: Vec<_> = peers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .cloned()
                .collect();
            for peer in targets {
                let _ = peer.send(text.clone());
            }
        } else if let Some(rest) = text_str.strip_prefix("42") {
            // 42<id>["echo_ack",<data>] is answered 43<id>[<data>].
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if let Some(data) = rest[digits..].strip_prefix("[\"echo_ack\",") {
                let _ = tx.send(format!("43{}[{data}", &rest[..digits]).into());
            }
        }
    }
    peers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    drop(tx);
    let _ = writer.await;
}

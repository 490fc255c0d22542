//! A WebSocket reader that stops while 100 MiB are broadcast: it is
//! disconnected (`transport buffer full`), the reader next to it gets
//! every broadcast, and the process's memory stays bounded. Alone in its
//! test binary, so that the process's memory is this test's.
#![allow(clippy::unwrap_used)]

use socketio_server::{Server, Value};
use support::{client, next, send, Ws};

mod support;

/// A well-behaved client, joined to `/`.
async fn joined(addr: std::net::SocketAddr) -> Ws {
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{"));
    ws
}

/// The test process's resident memory, in bytes (Linux).
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_while_100_mib_are_broadcast_is_cut_off_and_memory_stays_bounded() {
    // 1 MiB of lag tolerated for 300 ms (default: 30 s).
    let io = Server::builder()
        .without_client_bundle()
        .engine(|e| e.lag(1 << 20, std::time::Duration::from_millis(300)))
        .build();
    let mut sockets = support::sockets_of(&io.sockets());
    support::echoes(&io);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut reader = joined(addr).await;
    sockets.recv().await.unwrap();
    let _stalled = joined(addr).await; // never read again
    let mut stalled_left = support::reasons(&sockets.recv().await.unwrap());

    let before = rss();
    let mut peak = before;
    let blob = Value::from(bytes::Bytes::from(vec![7u8; 100 * 1024]));
    // 1 024 broadcasts of 100 KiB, at the pace the reader reads them.
    for i in 0..1024 {
        io.emit("blob", (blob.clone(),)).unwrap();
        assert_eq!(
            next(&mut reader).await.as_deref(),
            Some(r#"451-["blob",{"_placeholder":true,"num":0}]"#)
        );
        if i % 32 == 0 {
            peak = peak.max(rss());
        }
    }
    send(&mut reader, r#"42["echo",1]"#).await;
    assert_eq!(next(&mut reader).await.as_deref(), Some(r#"42["echo",1]"#));
    assert_eq!(
        stalled_left.try_recv().ok(),
        Some(socketio_server::DisconnectReason::BufferFull),
        "the stalled reader is disconnected"
    );
    let grown = peak.saturating_sub(before) >> 20;
    eprintln!("RSS grew by {grown} MiB while 100 MiB were broadcast");
    assert!(grown < 48, "RSS grew by {grown} MiB");
}

//! Graceful shutdown: `Server::close` delivers what was queued before it,
//! then engine.io's CLOSE, and each socket leaves with Node's reason.
#![allow(clippy::unwrap_used)]

use support::{joined, next, start};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_server_delivers_what_was_queued_before_it() {
    let (io, addr, mut sockets) = start().await;
    let (mut a, a_socket) = joined(addr, &mut sockets).await;
    let left = support::reasons(&a_socket);
    for i in 0..100 {
        a_socket.emit("queued", i).unwrap();
    }
    io.emit("broadcast", ()).unwrap();
    io.close().await;
    for i in 0..100 {
        assert_eq!(next(&mut a).await, Some(format!(r#"42["queued",{i}]"#)));
    }
    assert_eq!(next(&mut a).await.as_deref(), Some(r#"42["broadcast"]"#));
    // Then engine.io's CLOSE, and the socket left with Node's reason.
    assert_eq!(next(&mut a).await.as_deref(), Some("1"));
    let mut left = left;
    assert_eq!(
        left.recv().await,
        Some(socketio_server::DisconnectReason::ServerShuttingDown)
    );
}

//! The listener takes bursts: connections opened all at once are queued by
//! the kernel until the server accepts them, none refused or dropped (a
//! dropped SYN costs its client a retransmission a second later). It cuts
//! off connections that trickle their headers (slowloris), and keeps at
//! most `max_connections` open.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::os::fd::AsRawFd;

use engineio_server::Config;
use support::start;
use tokio::net::TcpStream;

mod support;

/// How many segments the kernel had to send again on `stream`: a SYN
/// retried because the server's listen queue was full counts one.
fn retransmissions(stream: &TcpStream) -> u32 {
    // SAFETY: `tcp_info` is plain data, and getsockopt writes at most `len`
    // bytes of it for the socket `stream` owns.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            std::ptr::addr_of_mut!(info).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
    info.tcpi_total_retrans
}

/// Opens `count` connections to `addr` at once.
async fn burst(addr: std::net::SocketAddr, count: usize) -> Vec<TcpStream> {
    let connects: Vec<_> = (0..count)
        .map(|_| tokio::spawn(TcpStream::connect(addr)))
        .collect();
    let mut streams = Vec::with_capacity(count);
    for connect in connects {
        streams.push(connect.await.unwrap().unwrap());
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_connections_is_accepted_without_a_syn_retry() {
    // The default queue (1 024) holds them all while the server accepts.
    let server = start(Config::default()).await;
    let streams = burst(server.addr, 1_000).await;
    let retried: u32 = streams.iter().map(retransmissions).sum();
    assert_eq!(retried, 0, "segments sent again among 1 000 connects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_past_a_small_listen_queue_waits_for_syn_retries() {
    // The option reaches the kernel: a queue of 16 cannot hold the burst.
    let server = start(Config::default().listen_backlog(16)).await;
    let streams = burst(server.addr, 1_000).await;
    let retried: u32 = streams.iter().map(retransmissions).sum();
    assert!(retried > 0, "a queue of 16 held 1 000 connects");
}

/// Sends `head` (part of a request's headers), then reads until the server
/// closes the connection; returns how long that took on the test's clock.
async fn trickle(addr: std::net::SocketAddr, head: &str) -> std::time::Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = tokio::time::Instant::now();
    let mut buf = Vec::new();
    // Without a header timeout the connection would wait for ever: an hour
    // of the paused clock says so.
    tokio::time::timeout(
        std::time::Duration::from_secs(3600),
        stream.read_to_end(&mut buf),
    )
    .await
    .expect("the server closed the connection")
    .unwrap();
    assert!(buf.is_empty(), "no answer to unfinished headers");
    started.elapsed()
}

#[tokio::test(start_paused = true)]
async fn headers_that_never_end_are_cut_off_after_the_header_timeout() {
    let server = start(Config::default()).await;
    // Node's headersTimeout: 60 s (the paused clock jumps while idle).
    let waited = trickle(
        server.addr,
        "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n",
    )
    .await;
    assert!(waited >= std::time::Duration::from_secs(60), "{waited:?}");
    assert!(waited < std::time::Duration::from_secs(61), "{waited:?}");

    let server =
        start(Config::default().http_header_timeout(Some(std::time::Duration::from_secs(5)))).await;
    let waited = trickle(server.addr, "GET / HTTP/1.1\r\nHost").await;
    assert!(
        waited >= std::time::Duration::from_secs(5) && waited < std::time::Duration::from_secs(6),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn headers_finished_within_the_timeout_are_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start(Config::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(59)).await;
    stream
        .write_all(b"Connection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"sid\""), "{answer}");
}

/// A handshake on `stream`, kept open: the status line, or `None` if the
/// server closed the connection instead.
async fn handshake_on(stream: &mut TcpStream) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return None;
    }
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8(line).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_connections_a_new_one_is_closed_until_another_ends() {
    let server = start(Config::default().max_connections(Some(2))).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        assert!(handshake_on(&mut stream)
            .await
            .unwrap()
            .starts_with("HTTP/1.1 200"));
        open.push(stream);
    }
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(handshake_on(&mut third).await, None, "the third is closed");
    // Once one of the two ends, a new connection is served.
    drop(open.pop());
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let mut next = TcpStream::connect(server.addr).await.unwrap();
            if handshake_on(&mut next).await.is_some() {
                return;
            }
        }
    })
    .await
    .expect("a place freed");
}

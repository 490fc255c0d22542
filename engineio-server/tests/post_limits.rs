//! The limits on a polling POST's body besides its size, as engine.io
//! 6.6.13 has them: the time it may take (`httpRequestBodyTimeout`, 30 s:
//! 408) and the pieces it may come in (`maxBufferedChunks`, 10 000: 413).
//! Past either, the session closes.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use engineio_server::Config;
use http::StatusCode;
use support::{get, handshake, polling, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;

/// A POST to session `sid` whose head says `headers`, with `body` after it.
async fn post_raw(addr: SocketAddr, sid: &str, headers: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\n{headers}\r\n",
        polling(sid)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream
}

/// The status line of the answer on `stream`, and how long it took on the
/// test's clock (an hour at most).
async fn status(stream: &mut TcpStream) -> (String, Duration) {
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(3600), async {
        while !answer.ends_with(b"\r\n") {
            if stream.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            answer.push(byte[0]);
        }
    })
    .await
    .expect("an answer");
    (String::from_utf8(answer).unwrap(), started.elapsed())
}

async fn session_is_gone(addr: SocketAddr, sid: &str) -> bool {
    get(addr, &polling(sid)).await.status == StatusCode::BAD_REQUEST
}

#[tokio::test(start_paused = true)]
async fn a_body_not_sent_within_30_s_gets_408_and_closes_the_session() {
    let server = start(Config::default()).await;
    let (sid, _) = handshake(server.addr, 4).await;
    let mut stream = post_raw(server.addr, &sid, "Content-Length: 10\r\n", b"4hel").await;
    let (line, waited) = status(&mut stream).await;
    assert!(line.starts_with("HTTP/1.1 408"), "{line}");
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
        "{waited:?}"
    );
    assert!(session_is_gone(server.addr, &sid).await);
}

#[tokio::test(start_paused = true)]
async fn a_body_finished_within_30_s_is_taken() {
    let server = start(Config::default()).await;
    let (sid, _) = handshake(server.addr, 4).await;
    let mut stream = post_raw(server.addr, &sid, "Content-Length: 6\r\n", b"4hel").await;
    tokio::time::sleep(Duration::from_secs(29)).await;
    stream.write_all(b"lo").await.unwrap();
    let (line, _) = status(&mut stream).await;
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    assert!(!session_is_gone(server.addr, &sid).await);
}

/// A chunked body of `pieces` HTTP chunks: `4` and then `x`s, one byte each.
fn chunked(pieces: usize) -> Vec<u8> {
    let mut body = b"1\r\n4\r\n".to_vec();
    for _ in 1..pieces {
        body.extend_from_slice(b"1\r\nx\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

#[tokio::test]
async fn a_body_in_10_000_pieces_is_taken_and_in_more_refused() {
    let server = start(Config::default()).await;
    let (sid, _) = handshake(server.addr, 4).await;
    let mut stream = post_raw(
        server.addr,
        &sid,
        "Transfer-Encoding: chunked\r\n",
        &chunked(10_000),
    )
    .await;
    let (line, _) = status(&mut stream).await;
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");

    let mut stream = post_raw(
        server.addr,
        &sid,
        "Transfer-Encoding: chunked\r\n",
        &chunked(10_001),
    )
    .await;
    let (line, _) = status(&mut stream).await;
    assert!(line.starts_with("HTTP/1.1 413"), "{line}");
    assert!(session_is_gone(server.addr, &sid).await);
}

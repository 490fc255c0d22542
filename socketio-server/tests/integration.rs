//! How the server fits with the rest of a program: mounted in another hyper
//! server, and with a parser of one's own (which shows that a broadcast is
//! encoded once).
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::service::Service;
use socketio_parser::{Decode, Encoded, JsonParser, Packet, Parser, ProtocolVersion};
use socketio_server::{Server, Socket};
use support::{channel, joined, next, start_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;

#[tokio::test]
async fn the_server_mounts_in_another_hyper_server() {
    let io = Server::builder().build();
    let (tx, mut sockets) = channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = io.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let io = app.clone();
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let io = io.clone();
                    async move {
                        if io.matches_path(request.uri().path()) {
                            io.call(request).await
                        } else {
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                                "other route",
                            ))))
                        }
                    }
                });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .with_upgrades(),
            );
        }
    });

    // The other route answers...
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.ends_with("\r\n\r\nother route"), "{response}");
    // ...and socket.io clients connect through the mounted service.
    let (mut ws, socket) = joined(addr, &mut sockets).await;
    socket.emit("mounted", ()).unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["mounted"]"#);
}

/// The JSON parser, counting what it encodes.
#[derive(Debug, Default)]
struct Counting {
    json: Arc<JsonParser>,
    encoded: Arc<AtomicUsize>,
}

impl Parser for Counting {
    fn encode(&self, packet: &Packet) -> Encoded {
        self.encoded.fetch_add(1, Ordering::Relaxed);
        self.json.encode(packet)
    }

    fn decoder(&self) -> Box<dyn Decode> {
        self.json.decoder()
    }
}

#[tokio::test]
async fn a_broadcast_to_many_sockets_is_encoded_once() {
    let encoded = Arc::new(AtomicUsize::new(0));
    let parser = Counting {
        json: Arc::new(JsonParser::new(ProtocolVersion::V5)),
        encoded: encoded.clone(),
    };
    let (io, addr, mut sockets) = start_with(Server::builder().parser(parser)).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(joined(addr, &mut sockets).await);
    }
    let before = encoded.load(Ordering::Relaxed);
    io.emit("news", ("for all", Bytes::from_static(b"bin")))
        .unwrap();
    assert_eq!(encoded.load(Ordering::Relaxed) - before, 1);
    for (ws, _) in &mut clients {
        assert_eq!(
            next(ws).await.unwrap(),
            r#"451-["news","for all",{"_placeholder":true,"num":0}]"#
        );
    }
}

/// An engine.io server of one's own that counts sessions and hands them to
/// socket.io.
struct CountingEngine(Server, Arc<AtomicUsize>);

impl engineio_server::Handler for CountingEngine {
    type Connection = socketio_server::ClientConnection;

    fn on_connect(&self, socket: engineio_server::Socket) -> Self::Connection {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.accept(socket)
    }
}

#[tokio::test]
async fn an_engine_of_ones_own_hands_its_sessions_to_socket_io() {
    let io = Server::builder().build();
    let (tx, mut sockets) = channel();
    io.on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(socket);
        }
    });
    let count = Arc::new(AtomicUsize::new(0));
    let engine = engineio_server::Server::new(
        engineio_server::Config::default().path("/socket.io/"),
        CountingEngine(io.clone(), count.clone()),
    );
    let addr = engine.listen("127.0.0.1:0").await.unwrap();
    let (_ws, socket) = joined(addr, &mut sockets).await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let sid = socket.client().conn().sid().to_string();
    assert!(
        engine.socket(&sid).is_some(),
        "the session is the engine's own"
    );
    // The server's own engine is still there, with no session of its own.
    assert_eq!(io.engine().session_count(), 0);
    engine.close().await;
}

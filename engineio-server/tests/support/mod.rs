//! A recording handler, a bare HTTP client and a WebSocket client, so the
//! integration tests read as requests and expected answers.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use engineio_server::{CloseReason, Config, Connection, Handler, Message, Server, Socket};
use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

/// What the handler saw.
#[derive(Debug)]
pub enum Seen {
    Connect(Socket),
    Message(String, Message),
    Close(String, CloseReason),
}

/// Records every event; echoes messages when `echo` is set.
pub struct Recorder {
    events: mpsc::UnboundedSender<Seen>,
    echo: bool,
}

impl Recorder {
    pub fn new(events: mpsc::UnboundedSender<Seen>, echo: bool) -> Self {
        Self { events, echo }
    }
}

pub struct RecorderConnection {
    socket: Socket,
    events: mpsc::UnboundedSender<Seen>,
    echo: bool,
}

impl Handler for Recorder {
    type Connection = RecorderConnection;

    fn on_connect(&self, socket: Socket) -> RecorderConnection {
        let _ = self.events.send(Seen::Connect(socket.clone()));
        RecorderConnection {
            socket,
            events: self.events.clone(),
            echo: self.echo,
        }
    }
}

impl Connection for RecorderConnection {
    fn on_message(&mut self, message: Message) {
        if matches!(&message, Message::Text(t) if &**t == "panic") {
            panic!("the application failed");
        }
        if self.echo {
            let _ = self.socket.send(message.clone());
        }
        let _ = self
            .events
            .send(Seen::Message(self.socket.sid().to_string(), message));
    }

    fn on_close(&mut self, reason: CloseReason) {
        let _ = self
            .events
            .send(Seen::Close(self.socket.sid().to_string(), reason));
    }
}

/// A running server and what its handler sees.
pub struct TestServer {
    pub server: Server<Recorder>,
    pub addr: SocketAddr,
    pub events: mpsc::UnboundedReceiver<Seen>,
}

pub async fn start(config: Config) -> TestServer {
    start_with(config, true).await
}

pub async fn start_with(config: Config, echo: bool) -> TestServer {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Server::new(config, Recorder { events: tx, echo });
    let addr = server.listen("127.0.0.1:0").await.unwrap();
    TestServer {
        server,
        addr,
        events: rx,
    }
}

const WAIT: Duration = Duration::from_secs(5);

impl TestServer {
    pub async fn next(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("no event within 5 s")
            .expect("handler gone")
    }

    pub async fn next_connect(&mut self) -> Socket {
        match self.next().await {
            Seen::Connect(socket) => socket,
            other => panic!("expected a connect, got {other:?}"),
        }
    }

    pub async fn next_message(&mut self) -> Message {
        match self.next().await {
            Seen::Message(_, m) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    pub async fn next_close(&mut self) -> CloseReason {
        match self.next().await {
            Seen::Close(_, reason) => reason,
            other => panic!("expected a close, got {other:?}"),
        }
    }

    /// Waits until the session table is empty.
    pub async fn wait_no_sessions(&self) {
        tokio::time::timeout(WAIT, async {
            while self.server.session_count() > 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("sessions still open after 5 s");
    }

    pub fn url(&self, query: &str) -> String {
        format!("/engine.io/?{query}")
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One request on a fresh connection.
pub async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let response = tokio::time::timeout(WAIT, sender.send_request(request))
        .await
        .expect("no answer within 5 s")
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Answer {
    send(addr, Request::get(path).body(Full::default()).unwrap()).await
}

pub async fn post(addr: SocketAddr, path: &str, body: impl Into<Bytes>) -> Answer {
    let request = Request::post(path)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(Full::new(body.into()))
        .unwrap();
    send(addr, request).await
}

/// A polling handshake; returns the sid and the OPEN packet's JSON.
pub async fn handshake(addr: SocketAddr, eio: u8) -> (String, serde_json::Value) {
    let answer = get(addr, &format!("/engine.io/?EIO={eio}&transport=polling")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let text = answer.text();
    let json_start = text.find('{').unwrap();
    let json_end = text.find('}').unwrap() + 1;
    let open: serde_json::Value = serde_json::from_str(&text[json_start..json_end]).unwrap();
    (open["sid"].as_str().unwrap().to_owned(), open)
}

pub fn polling(sid: &str) -> String {
    format!("/engine.io/?EIO=4&transport=polling&sid={sid}")
}

pub type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A WebSocket client on `path_query`.
pub async fn ws(addr: SocketAddr, path_query: &str) -> Ws {
    let stream = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}{path_query}");
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    ws
}

/// The next data frame's text (`None` once the connection is closed).
pub async fn ws_next(ws: &mut Ws) -> Option<tungstenite::Message> {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no frame within 5 s");
        match frame {
            Some(Ok(tungstenite::Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(m @ (tungstenite::Message::Text(_) | tungstenite::Message::Binary(_)))) => {
                return Some(m)
            }
            Some(Ok(_)) => continue,
        }
    }
}

pub async fn ws_text(ws: &mut Ws) -> String {
    match ws_next(ws).await {
        Some(tungstenite::Message::Text(t)) => t.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

pub async fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(tungstenite::Message::text(text)).await.unwrap();
}

/// A WebSocket that upgrades polling session `sid` and has exchanged the
/// probe (`2probe` sent, `3probe` received).
pub async fn probed(addr: SocketAddr, sid: &str) -> Ws {
    let mut ws = ws(
        addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    ws
}

//! The generator's clients: Engine.IO v4 / Socket.IO v5 over WebSocket and
//! over long-polling, doing no more than a scenario needs (the handshake,
//! the namespace CONNECT, answering pings).

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::{fail, Result};

/// A WebSocket connection to the server.
pub type Ws = WebSocketStream<TcpStream>;

/// Opens a TCP connection to `addr`, from `source` when given (several
/// loopback addresses give more source ports than one).
pub async fn tcp(addr: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream> {
    let stream = match source {
        Some(ip) => {
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await?
        }
        None => TcpStream::connect(addr).await?,
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A WebSocket session joined to the namespace `/`: the Engine.IO handshake
/// read, `40` sent and its answer read.
pub async fn connect(addr: SocketAddr, source: Option<IpAddr>) -> Result<Ws> {
    let stream = tcp(addr, source).await?;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with("0{") {
        return fail(format!("expected the OPEN packet, got {open:?}"));
    }
    ws.send(Message::text("40")).await?;
    let connect = next_text(&mut ws).await?;
    if !connect.starts_with("40") {
        return fail(format!("expected CONNECT, got {connect:?}"));
    }
    Ok(ws)
}

/// The next text message that is not a ping; pings are answered on the way.
pub async fn next_text(ws: &mut Ws) -> Result<Utf8Bytes> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                ws.send(Message::text("3")).await?;
            }
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => return fail(format!("unexpected message {other:?}")),
            Some(Err(e)) => return Err(e.into()),
            None => return fail("the server closed the connection"),
        }
    }
}

/// Closes `ws` and waits for the server's side of the close.
pub async fn close(mut ws: Ws) -> Result<()> {
    ws.close(None).await?;
    while let Some(message) = ws.next().await {
        if message.is_err() {
            break;
        }
    }
    Ok(())
}

/// A long-polling session joined to `/`: one HTTP/1.1 connection for GETs
/// and one for POSTs, as browsers hold them.
#[derive(Debug)]
pub struct Polling {
    get: SendRequest<Full<Bytes>>,
    post: SendRequest<Full<Bytes>>,
    path: String,
    host: String,
    /// Packets received in a GET but not read yet.
    pending: std::collections::VecDeque<String>,
}

impl Polling {
    /// Opens the session: handshake, `40`, and the CONNECT answer.
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let mut get = http1(addr).await?;
        let host = addr.to_string();
        let handshake =
            request(&mut get, &host, "/socket.io/?EIO=4&transport=polling", None).await?;
        let Some(json) = handshake.strip_prefix('0') else {
            return fail(format!("expected the OPEN packet, got {handshake:?}"));
        };
        let open: serde_json::Value = serde_json::from_str(json)?;
        let Some(sid) = open.get("sid").and_then(|s| s.as_str()) else {
            return fail("no sid in the handshake");
        };
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let post = http1(addr).await?;
        let mut polling = Self {
            get,
            post,
            path,
            host,
            pending: Default::default(),
        };
        polling.send("40").await?;
        let connect = polling.receive().await?;
        if !connect.starts_with("40") {
            return fail(format!("expected CONNECT, got {connect:?}"));
        }
        Ok(polling)
    }

    /// POSTs one packet.
    pub async fn send(&mut self, packet: &str) -> Result<()> {
        let answer = request(&mut self.post, &self.host, &self.path, Some(packet)).await?;
        if answer != "ok" {
            return fail(format!("POST answered {answer:?}"));
        }
        Ok(())
    }

    /// The next packet that is not a ping, with a GET when none is waiting;
    /// pings are answered on the way.
    pub async fn receive(&mut self) -> Result<String> {
        loop {
            if let Some(packet) = self.pending.pop_front() {
                if packet == "2" {
                    self.send("3").await?;
                    continue;
                }
                return Ok(packet);
            }
            let body = request(&mut self.get, &self.host, &self.path, None).await?;
            self.pending.extend(body.split('\u{1e}').map(str::to_owned));
        }
    }
}

async fn http1(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tcp(addr, None).await?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn request(
    sender: &mut SendRequest<Full<Bytes>>,
    host: &str,
    path: &str,
    body: Option<&str>,
) -> Result<String> {
    let builder = hyper::Request::builder().uri(path).header("host", host);
    let request = match body {
        Some(body) => builder
            .method("POST")
            .header("content-type", "text/plain;charset=UTF-8")
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))?,
        None => builder.method("GET").body(Full::new(Bytes::new()))?,
    };
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let text = String::from_utf8(body.to_vec())?;
    if !status.is_success() {
        return fail(format!("{path} answered {status}: {text}"));
    }
    Ok(text)
}

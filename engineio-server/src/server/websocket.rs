//! The WebSocket transport: a direct connection (`transport=websocket`
//! without a sid) or the upgrade of a polling session.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use engineio_protocol::{ErrorCode, Packet, ProtocolVersion, Query, Str, Transport};
use futures_util::future::OptionFuture;
use futures_util::{FutureExt as _, Sink, SinkExt, Stream};
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument as _;

use super::Server;
use crate::config::RequestHead;
use crate::message::Frame;
use crate::response::{self, ResponseBody};
use crate::session::Transmit;
use crate::signal::Signal;
use crate::socket::Entry;
use crate::{CloseReason, Connection, Handler};

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A WebSocket handshake without a sid: the session is created once the
/// connection is upgraded.
pub(super) fn handshake<H: Handler>(
    server: &Server<H>,
    mut head: RequestHead,
    query: Query,
) -> Response<ResponseBody> {
    let Some((response, on_upgrade)) = accept(server, &mut head, true) else {
        return bad_handshake(server, &head);
    };
    // The request travels boxed, and the steps before the session is
    // open run boxed too: a task's allocation is as large as its largest
    // state, and stays for the session's life.
    let start = Box::new((server.clone(), on_upgrade, head, query));
    // A chain, not an `async` block: it holds the opening, then the
    // session, never both.
    tokio::spawn(Box::pin(open(start)).map(OptionFuture::from).flatten());
    response
}

/// Completes the upgrade of a WebSocket handshake and opens its session.
/// Returns the session's life: its driver and its WebSocket, in one task.
async fn open<H: Handler>(
    start: Box<(Server<H>, OnUpgrade, RequestHead, Query)>,
) -> Option<impl Future<Output = ((), ())>> {
    let (server, on_upgrade, head, query) = *start;
    let ws = connect(&server, on_upgrade).await?;
    let (entry, driver) = server.open_session(&head, &query, Transport::Websocket)?;
    let (generation, signal) = entry.core.lock().new_ws_generation();
    let span = entry.core.span.clone();
    let run = run(ws, entry, generation, signal);
    Some(futures_util::future::join(driver, run).instrument(span))
}

/// A WebSocket for an existing polling session: the upgrade.
pub(super) fn upgrade<H: Handler>(
    server: &Server<H>,
    mut head: RequestHead,
    _query: Query,
    entry: Arc<Entry<H::Connection>>,
) -> Response<ResponseBody> {
    let Some((response, on_upgrade)) = accept(server, &mut head, false) else {
        return bad_handshake(server, &head);
    };
    let generation = {
        let mut state = entry.core.lock();
        match state.session.handle_upgrade_request(crate::clock::now()) {
            Ok(()) => Some(state.new_ws_generation()),
            Err(_) => None,
        }
    };
    let Some((generation, signal)) = generation else {
        // It has upgraded, is upgrading, or closed meanwhile: Node completes
        // the handshake and closes this WebSocket at once, and the session
        // carries on over its own transport.
        tracing::debug!(sid = %entry.core.sid(), "session cannot upgrade: websocket closed");
        let server = server.clone();
        tokio::spawn(async move {
            if let Some(mut ws) = Box::pin(connect(&server, on_upgrade)).await {
                let _ = tokio::time::timeout(CLOSING_WRITE_TIMEOUT, ws.close(None)).await;
            }
        });
        return response;
    };
    tracing::debug!(sid = %entry.core.sid(), "upgrade started");
    entry.core.driver_wake.notify();
    let opening = connect_upgrade(server.clone(), on_upgrade, entry, generation, signal);
    tokio::spawn(Box::pin(opening).map(OptionFuture::from).flatten());
    response
}

/// Completes the upgrade of an existing session's WebSocket. Returns the
/// WebSocket's life.
async fn connect_upgrade<H: Handler>(
    server: Server<H>,
    on_upgrade: OnUpgrade,
    entry: Arc<Entry<H::Connection>>,
    generation: u64,
    signal: Arc<Signal>,
) -> Option<impl Future<Output = ()>> {
    let Some(ws) = connect(&server, on_upgrade).await else {
        transport_closed(&entry, generation, CloseReason::TransportError);
        return None;
    };
    let span = entry.core.span.clone();
    Some(run(ws, entry, generation, signal).instrument(span))
}

/// Checks the WebSocket handshake headers and builds the 101 response, or
/// `None` if the handshake is malformed.
fn accept<H: Handler>(
    server: &Server<H>,
    head: &mut RequestHead,
    handshake: bool,
) -> Option<(Response<ResponseBody>, OnUpgrade)> {
    let config = server.config();
    let key = head.headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let version_ok = head
        .headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let on_upgrade = head.extensions.remove::<OnUpgrade>();
    let (Some(key), true, Some(on_upgrade)) = (key, version_ok, on_upgrade) else {
        return None;
    };
    let mut response = response::build(StatusCode::SWITCHING_PROTOCOLS, "", bytes::Bytes::new());
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    // Node emits `initial_headers` before `headers`.
    if let (true, Some(hook)) = (handshake, &config.initial_headers) {
        hook(head, headers);
    }
    if let Some(hook) = &config.headers {
        hook(head, headers);
    }
    Some((response, on_upgrade))
}

fn bad_handshake<H: Handler>(server: &Server<H>, head: &RequestHead) -> Response<ResponseBody> {
    response::refuse(
        server.config(),
        head,
        ErrorCode::BadRequest,
        None,
        "bad websocket handshake",
    )
}

/// Waits for hyper to hand over the connection and wraps it, with buffers
/// sized for many idle connections.
async fn connect<H: Handler>(server: &Server<H>, on_upgrade: OnUpgrade) -> Option<Ws> {
    let config = server.config();
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(e) => {
            tracing::debug!(error = %e, "websocket upgrade failed");
            return None;
        }
    };
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(config.ws_read_buffer_size)
        .write_buffer_size(config.ws_write_buffer_size)
        .max_write_buffer_size(
            config
                .ws_write_buffer_size
                .max(64 * 1024)
                .saturating_add(config.session.max_buffered_bytes),
        )
        .max_message_size(Some(
            usize::try_from(config.session.max_payload).unwrap_or(usize::MAX),
        ))
        .max_frame_size(Some(
            usize::try_from(config.session.max_payload).unwrap_or(usize::MAX),
        ));
    Some(
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_config))
            .await,
    )
}

/// How long the last frames and the close handshake may take once the
/// session has sent its CLOSE packet.
const CLOSING_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// How a WebSocket's pump ends.
enum End {
    /// The connection is gone, or a newer WebSocket took over: nothing
    /// more is written to it.
    Gone,
    /// The session is over: its last frames, then the close handshake.
    Closing,
    /// The upgrade was aborted (no probe, a timeout, ...): what is left,
    /// then the close handshake.
    Aborted,
}

/// What a WebSocket has handed to tungstenite and what waits for it.
struct Outgoing {
    /// The waker the reads are polled with: it notes that the connection
    /// woke the task, so that a wake-up for sending (a broadcast) does not
    /// try a read, whose state is cold by then.
    readable: Arc<Signal>,
    read_waker: Waker,
    /// Read without waiting for `readable` (the first turn).
    read_anyway: bool,
    /// Frames taken from the session, not yet given to tungstenite
    /// (it pushed back).
    pending: VecDeque<tungstenite::Message>,
    /// Frames given to tungstenite and not yet flushed.
    unflushed: bool,
    /// The session was seen to have news while the writing was stuck.
    notified: bool,
}

/// Runs one WebSocket of a session in one task: it reads, and it writes
/// what the session has, in turns within one poll, so that a client that
/// reads slowly never keeps its PONGs from being read, and a reply made
/// while a frame is handled goes out in the same turn, without waking
/// anyone. `generation` tells this WebSocket from earlier ones of the same
/// session: only the latest may act on it.
fn run<C: Connection>(
    mut ws: Ws,
    entry: Arc<Entry<C>>,
    generation: u64,
    signal: Arc<Signal>,
) -> impl Future<Output = ()> {
    // An `async` block that uses what it captures in place: an `async fn`
    // would keep a second copy of its arguments for the session's life.
    let readable = Arc::new(Signal::default());
    let mut out = Outgoing {
        read_waker: Waker::from(readable.clone()),
        readable,
        read_anyway: true,
        pending: VecDeque::new(),
        unflushed: false,
        // The session may have something already (the OPEN packet).
        notified: true,
    };
    async move {
        let end = poll_fn(|cx| {
            Pump {
                ws: &mut ws,
                entry: &entry,
                generation,
                signal: &signal,
                out: &mut out,
            }
            .turn(cx)
        })
        .await;
        if matches!(end, End::Gone) {
            return;
        }
        // Boxed: a task's allocation is as large as its largest state, and
        // the closing writes are short-lived.
        Box::pin(close(ws, &entry, generation, end, out.pending)).await;
    }
}

/// One WebSocket of a session, as its task turns it.
struct Pump<'a, C> {
    ws: &'a mut Ws,
    entry: &'a Entry<C>,
    generation: u64,
    signal: &'a Signal,
    out: &'a mut Outgoing,
}

impl<C: Connection> Pump<'_, C> {
    /// One turn: what an earlier turn could not write, then up to
    /// [`FRAMES_PER_TURN`] frames that have come, then every frame the
    /// session has to send, until both sides wait.
    fn turn(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        if !self.out.pending.is_empty() || self.out.unflushed {
            // What the last turn could not write goes first: its reads may
            // have spent the task's budget (tokio's), which a client that
            // sends without pause would otherwise do every turn.
            if let Poll::Ready(end) = self.write(cx) {
                return Poll::Ready(end);
            }
        }
        let out = &mut *self.out;
        // Not short-circuited: the signal keeps this task's waker.
        if std::mem::take(&mut out.read_anyway) | out.readable.poll(cx).is_ready() {
            let mut read_cx = Context::from_waker(&out.read_waker);
            let mut frames = 0;
            while let Poll::Ready(frame) = Pin::new(&mut *self.ws).poll_next(&mut read_cx) {
                // Replies made while the frame is handled are looked for
                // below: they need no wake-up of this task.
                self.signal.hold();
                if let Some(end) = on_frame(frame, self.entry, self.generation) {
                    return Poll::Ready(end);
                }
                frames += 1;
                if frames == FRAMES_PER_TURN {
                    // Come back for the rest after writing.
                    out.readable.notify();
                    break;
                }
            }
        }
        self.write(cx)
    }

    /// Writes what is pending, then what the session has, until the session
    /// has nothing more or the connection takes no more.
    fn write(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        let (entry, generation) = (self.entry, self.generation);
        let version = entry.core.version();
        loop {
            while let Some(message) = self.out.pending.pop_front() {
                match Pin::new(&mut *self.ws).poll_ready(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(_)) => return Poll::Ready(write_failed(entry, generation)),
                    Poll::Pending => {
                        self.out.pending.push_front(message);
                        return self.stuck(cx);
                    }
                }
                if Pin::new(&mut *self.ws).start_send(message).is_err() {
                    return Poll::Ready(write_failed(entry, generation));
                }
                self.out.unflushed = true;
            }
            if self.out.unflushed {
                match Pin::new(&mut *self.ws).poll_flush(cx) {
                    Poll::Ready(Ok(())) => self.out.unflushed = false,
                    Poll::Ready(Err(_)) => return Poll::Ready(write_failed(entry, generation)),
                    Poll::Pending => return self.stuck(cx),
                }
                if self.out.pending.capacity() > KEPT_CAPACITY {
                    // After a burst: an idle connection keeps no large queue.
                    self.out.pending = VecDeque::new();
                }
            }
            if !std::mem::take(&mut self.out.notified) && self.signal.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let mut state = entry.core.lock();
            if state.ws_generation() != generation {
                return Poll::Ready(End::Gone);
            }
            let mut closing = state.session.is_closed();
            while let Some(transmit) = state.session.poll_transmit(Transport::Websocket) {
                closing |= matches!(transmit, Transmit::Packet(Packet::Close));
                self.out.pending.push_back(message(transmit, version));
            }
            let session = &state.session;
            let unwanted = session.transport() != Transport::Websocket && !session.is_upgrading();
            drop(state);
            if closing {
                return Poll::Ready(End::Closing);
            }
            if unwanted {
                return Poll::Ready(End::Aborted);
            }
        }
    }

    /// The writing is stuck on a client that does not read: keep the news
    /// for later, and drop the connection if the session ended meanwhile.
    fn stuck(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        while self.signal.poll(cx).is_ready() {
            self.out.notified = true;
        }
        if *self.entry.core.ended.borrow() {
            Poll::Ready(End::Gone)
        } else {
            Poll::Pending
        }
    }
}

/// How many frames one turn reads before it writes.
const FRAMES_PER_TURN: usize = 32;

/// The capacity of the queue of frames a WebSocket keeps once it is empty.
const KEPT_CAPACITY: usize = 64;

/// A frame from the client (or the end of the stream, or an error).
/// Returns how the WebSocket ends, if it does.
fn on_frame<C: Connection>(
    frame: Option<Result<tungstenite::Message, tungstenite::Error>>,
    entry: &Entry<C>,
    generation: u64,
) -> Option<End> {
    let core = &entry.core;
    let version = core.version();
    let packet = match frame {
        Some(Ok(tungstenite::Message::Text(text))) => {
            // SAFETY: tungstenite checked the text frame is UTF-8.
            let text = unsafe { Str::from_utf8_unchecked(text.into()) };
            Packet::decode_text(text, version)
        }
        Some(Ok(tungstenite::Message::Binary(data))) => Packet::decode_binary(data, version),
        // Control frames: tungstenite answers pings itself.
        Some(Ok(
            tungstenite::Message::Ping(_)
            | tungstenite::Message::Pong(_)
            | tungstenite::Message::Frame(_),
        )) => return None,
        Some(Ok(tungstenite::Message::Close(_))) | None => {
            transport_closed(entry, generation, CloseReason::TransportClose);
            return Some(End::Gone);
        }
        // The client went away without a close frame: a close, as Node's
        // `ws` reports it, not an error.
        Some(Err(
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )
            | tungstenite::Error::ConnectionClosed
            | tungstenite::Error::AlreadyClosed,
        )) => {
            transport_closed(entry, generation, CloseReason::TransportClose);
            return Some(End::Gone);
        }
        Some(Err(e)) => {
            tracing::debug!(error = %e, "websocket error");
            let frame = match &e {
                tungstenite::Error::Capacity(_) => Some((1009, "message too big")),
                tungstenite::Error::Utf8(_) => Some((1007, "invalid UTF-8")),
                tungstenite::Error::Protocol(_) => Some((1002, "protocol error")),
                _ => None,
            };
            if let Some(frame) = frame {
                let mut state = core.lock();
                if state.ws_generation() == generation {
                    state.ws_close_frame = Some(frame);
                }
            }
            transport_closed(entry, generation, CloseReason::TransportError);
            // With a frame, it says why before the connection drops.
            return Some(if frame.is_some() {
                End::Closing
            } else {
                End::Gone
            });
        }
    };
    {
        let mut state = core.lock();
        if state.ws_generation() != generation {
            return Some(End::Gone);
        }
        match packet {
            Ok(packet) => {
                state
                    .session
                    .handle_packet(Transport::Websocket, packet, crate::clock::now());
            }
            Err(e) => {
                tracing::debug!(error = %e, "undecodable websocket frame");
                state
                    .session
                    .handle_transport_closed(Transport::Websocket, CloseReason::ParseError);
            }
        }
        core.wake_after_input(&state);
    }
    entry.dispatch();
    None
}

/// The frame that carries `transmit`.
fn message(transmit: Transmit, version: ProtocolVersion) -> tungstenite::Message {
    match transmit.frame(version) {
        // SAFETY: text frames are built from `Str`s and ASCII, so they are
        // UTF-8.
        Frame::Text(text) => {
            tungstenite::Message::Text(unsafe { Utf8Bytes::from_bytes_unchecked(text) })
        }
        Frame::Binary(data) => tungstenite::Message::Binary(data),
    }
}

/// A write failed: the connection is gone.
fn write_failed<C: Connection>(entry: &Entry<C>, generation: u64) -> End {
    transport_closed(entry, generation, CloseReason::TransportError);
    End::Gone
}

/// The session's last frames, then the close handshake (with the close
/// frame that says why the reading stopped, if it did), all in a bounded
/// time.
async fn close<C: Connection>(
    mut ws: Ws,
    entry: &Entry<C>,
    generation: u64,
    end: End,
    pending: VecDeque<tungstenite::Message>,
) {
    let written = tokio::time::timeout(CLOSING_WRITE_TIMEOUT, async {
        for message in pending {
            ws.feed(message).await?;
        }
        ws.flush().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        transport_closed(entry, generation, CloseReason::TransportError);
        return;
    }
    if matches!(end, End::Aborted) {
        tracing::debug!("upgrade aborted");
        let _ = tokio::time::timeout(CLOSING_WRITE_TIMEOUT, ws.close(None)).await;
        return;
    }
    entry.core.driver_wake.notify();
    let frame = entry
        .core
        .lock()
        .ws_close_frame
        .take()
        .map(|(code, reason)| tungstenite::protocol::CloseFrame {
            code: code.into(),
            reason: Utf8Bytes::from_static(reason),
        });
    let _ = tokio::time::timeout(CLOSING_WRITE_TIMEOUT, ws.close(frame)).await;
}

/// This WebSocket's connection went away; only the session's latest
/// WebSocket may say so.
fn transport_closed<C: Connection>(entry: &Entry<C>, generation: u64, reason: CloseReason) {
    {
        let mut state = entry.core.lock();
        if state.ws_generation() != generation {
            return;
        }
        state
            .session
            .handle_transport_closed(Transport::Websocket, reason);
    }
    entry.dispatch();
    entry.core.wake_all();
}

//! The WebSocket transport: a direct connection (`transport=websocket`
//! without a sid) or the upgrade of a polling session.

use std::sync::Arc;
use std::time::Duration;

use engineio_protocol::{ErrorCode, Packet, ProtocolVersion, Query, Str, Transport};
use futures_util::{SinkExt, StreamExt};
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
use crate::socket::Entry;
use crate::{CloseReason, Connection, Handler};

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
type WsSink = futures_util::stream::SplitSink<Ws, tungstenite::Message>;

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
    let server = server.clone();
    tokio::spawn(async move {
        // Boxed, as each step of a session's tasks whose state is large and
        // short-lived: a task's allocation is as large as its largest
        // state, and stays for the session's life.
        let Some(ws) = Box::pin(connect(&server, on_upgrade)).await else {
            return;
        };
        let entry = server.open_session(&head, &query, Transport::Websocket);
        // The request's header values share hyper's read buffer (8 KiB or
        // more): free it now rather than when the session ends.
        drop((head, query));
        let Some(entry) = entry else {
            return;
        };
        let generation = entry.core.lock().new_ws_generation();
        let span = entry.core.span.clone();
        run(ws, entry, generation).instrument(span).await;
    });
    response
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
    let Some(generation) = generation else {
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
    entry.core.driver_wake.notify_one();
    let server = server.clone();
    tokio::spawn(async move {
        match Box::pin(connect(&server, on_upgrade)).await {
            Some(ws) => {
                let span = entry.core.span.clone();
                run(ws, entry, generation).instrument(span).await;
            }
            None => transport_closed(&entry, generation, CloseReason::TransportError),
        }
    });
    response
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

/// Runs one WebSocket of a session: this task reads, a second one writes,
/// so that a slow reader on the client's side never keeps its PONGs from
/// being read. `generation` tells this WebSocket from earlier ones of the
/// same session: only the latest may act on it.
async fn run<C: Connection>(ws: Ws, entry: Arc<Entry<C>>, generation: u64) {
    let (sink, mut stream) = ws.split();
    let mut writer = tokio::spawn(
        write_loop(sink, entry.clone(), generation).instrument(tracing::Span::current()),
    );
    let core = &entry.core;
    let version = core.version();
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            // The writer ended the connection (session over, upgrade aborted).
            _ = &mut writer => return,
        };
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
            )) => continue,
            Some(Ok(tungstenite::Message::Close(_))) | None => {
                transport_closed(&entry, generation, CloseReason::TransportClose);
                break;
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
                transport_closed(&entry, generation, CloseReason::TransportClose);
                break;
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
                transport_closed(&entry, generation, CloseReason::TransportError);
                if frame.is_some() {
                    // The writer says why in a close frame before the
                    // connection drops.
                    let _ =
                        Box::pin(tokio::time::timeout(CLOSING_WRITE_TIMEOUT, &mut writer)).await;
                    return;
                }
                break;
            }
        };
        {
            let mut state = core.lock();
            if state.ws_generation() != generation {
                break;
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
    }
    // The connection is gone: nothing more can be written to it.
    writer.abort();
}

/// Sends what the session has for this WebSocket until the session ends or
/// no longer wants this WebSocket.
async fn write_loop<C: Connection>(mut sink: WsSink, entry: Arc<Entry<C>>, generation: u64) {
    let core = &entry.core;
    let version = core.version();
    let mut ended = core.ended.subscribe();
    loop {
        // Made for each round and freed after it: an idle connection keeps
        // no buffer.
        let mut batch = Vec::new();
        let (closed, unwanted) = {
            let mut state = core.lock();
            if state.ws_generation() != generation {
                return;
            }
            batch.extend(std::iter::from_fn(|| {
                state.session.poll_transmit(Transport::Websocket)
            }));
            let session = &state.session;
            let carries = session.transport() == Transport::Websocket;
            (session.is_closed(), !carries && !session.is_upgrading())
        };
        let carries_close = batch
            .iter()
            .any(|t| matches!(t, Transmit::Packet(Packet::Close)));
        let written = if carries_close {
            // The session's last words: give them a bounded time.
            Box::pin(tokio::time::timeout(
                CLOSING_WRITE_TIMEOUT,
                write(&mut sink, &mut batch, version),
            ))
            .await
            .unwrap_or(Err(()))
        } else {
            tokio::select! {
                biased;
                written = Box::pin(write(&mut sink, &mut batch, version)) => written,
                // The session ended while the client was not reading: drop
                // the connection rather than wait for it.
                () = super::stopped(&mut ended) => return,
            }
        };
        if written.is_err() {
            transport_closed(&entry, generation, CloseReason::TransportError);
            return;
        }
        if closed || carries_close {
            core.driver_wake.notify_one();
            let frame = core.lock().ws_close_frame.take();
            let _ = Box::pin(tokio::time::timeout(CLOSING_WRITE_TIMEOUT, async {
                if let Some((code, reason)) = frame {
                    let frame = tungstenite::protocol::CloseFrame {
                        code: code.into(),
                        reason: Utf8Bytes::from_static(reason),
                    };
                    let _ = sink.send(tungstenite::Message::Close(Some(frame))).await;
                }
                sink.close().await
            }))
            .await;
            return;
        }
        if unwanted {
            // The upgrade was aborted (no probe, timeout, ...).
            tracing::debug!("upgrade aborted");
            let _ = Box::pin(tokio::time::timeout(CLOSING_WRITE_TIMEOUT, sink.close())).await;
            return;
        }
        tokio::select! {
            () = core.ws_wake.notified() => {}
            () = super::stopped(&mut ended) => {}
        }
    }
}

/// Sends `batch` (emptying it) and flushes.
async fn write(
    ws: &mut WsSink,
    batch: &mut Vec<Transmit>,
    version: ProtocolVersion,
) -> Result<(), ()> {
    for transmit in batch.drain(..) {
        let message = match transmit.frame(version) {
            // SAFETY: text frames are built from `Str`s and ASCII, so they
            // are UTF-8.
            Frame::Text(text) => {
                tungstenite::Message::Text(unsafe { Utf8Bytes::from_bytes_unchecked(text) })
            }
            Frame::Binary(data) => tungstenite::Message::Binary(data),
        };
        ws.feed(message).await.map_err(|_| ())?;
    }
    ws.flush().await.map_err(|_| ())
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

//! HTTP long-polling: the client GETs to receive (the request waits until
//! there is something to send) and POSTs to send.

use std::pin::pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use engineio_protocol::{
    decode_payload, encode_payload, jsonp, BodyBuffer, Error as ProtocolError, ErrorCode, Packet,
    PayloadFormat, ProtocolVersion, Query, Transport,
};
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Body;
use tracing::Instrument as _;

use super::Server;
use crate::config::RequestHead;
use crate::response::{self, ResponseBody};
use crate::session::{GetAnswer, Session, Transmit};
use crate::socket::{Core, Entry};
use crate::{CloseReason, Connection, Handler};

/// The first GET: a new session, answered with its OPEN packet (and
/// anything the handler sent on connect).
pub(super) fn handshake<H: Handler>(
    server: &Server<H>,
    head: RequestHead,
    query: Query,
) -> Response<ResponseBody> {
    let config = server.config();
    let Some((entry, driver)) = server.open_session(&head, &query, Transport::Polling) else {
        return response::status(config, &head, StatusCode::INTERNAL_SERVER_ERROR);
    };
    tokio::spawn(driver.instrument(entry.core.span.clone()));
    let packets = drain(&mut entry.core.lock().session);
    let binary = entry.core.supports_binary();
    let cookie = config
        .cookie
        .as_ref()
        .and_then(|c| HeaderValue::from_str(&c.header_value(entry.core.sid().as_str())).ok());
    payload_response(server, &head, &query, binary, &packets, |headers| {
        if let Some(cookie) = cookie {
            headers.append(header::SET_COOKIE, cookie);
        }
        // Node emits `initial_headers` before `headers`.
        if let Some(hook) = &config.initial_headers {
            hook(&head, headers);
        }
    })
}

/// A GET: waits until the session has packets for polling, then sends them
/// all as one payload.
pub(super) async fn get<H: Handler>(
    server: &Server<H>,
    head: RequestHead,
    query: Query,
    entry: Arc<Entry<H::Connection>>,
) -> Response<ResponseBody> {
    let core = &entry.core;
    let get = {
        let mut state = core.lock();
        let get = state.session.begin_get(crate::clock::now());
        // The session may have a new, earlier deadline, or be closed.
        core.wake_after_input(&state);
        get
    };
    let Ok(get) = get else {
        // Node: "overlap from client". The session is broken.
        return overlapped(server, &head, &entry, "overlapping GET");
    };
    let mut pending = Pending {
        entry: &entry,
        answered: false,
    };
    let answer = loop {
        if let Some(answer) = core.lock().session.answer_get(get) {
            break answer;
        }
        core.poll_wake.notified().await;
    };
    pending.answered = true;
    drop(pending);
    if core.lock().session.is_closed() {
        core.driver_wake.notify();
    }
    match answer {
        GetAnswer::Packets(packets) => {
            let binary = core.supports_binary();
            payload_response(server, &head, &query, binary, &packets, |_| {})
        }
        GetAnswer::Refused => response::refuse(
            server.config(),
            &head,
            ErrorCode::BadRequest,
            None,
            "transport differs from the session's",
        ),
    }
}

/// Ends the GET with the session; if it ends without an answer, the
/// client aborted it, and the session closes, so abandoned sessions never
/// pile up.
struct Pending<'a, C: Connection> {
    entry: &'a Entry<C>,
    answered: bool,
}

impl<C: Connection> Drop for Pending<'_, C> {
    fn drop(&mut self) {
        self.entry.core.lock().session.end_get(self.answered);
        if !self.answered {
            tracing::debug!(sid = %self.entry.core.sid(), "polling GET aborted");
            self.entry.dispatch();
            self.entry.core.wake_all();
        }
    }
}

/// A POST: reads the payload (at most `max_payload` bytes) and feeds its
/// packets to the session.
pub(super) async fn post<H: Handler, B>(
    server: &Server<H>,
    head: RequestHead,
    body: B,
    query: Query,
    entry: Arc<Entry<H::Connection>>,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let config = server.config();
    let core = &entry.core;
    if core.lock().session.begin_post().is_err() {
        // Node: "data request overlap from client".
        return overlapped(server, &head, &entry, "overlapping POST");
    }
    let _pending = PendingPost(core);
    let limits = BodyLimits {
        bytes: usize::try_from(config.session.max_payload).unwrap_or(usize::MAX),
        chunks: config.max_body_chunks,
    };
    let body = match tokio::time::timeout(config.body_timeout, read_body(&head, body, limits)).await
    {
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge)) => {
            tracing::debug!(sid = %core.sid(), limit = limits.bytes, "POST body too large");
            close(&entry, CloseReason::TransportError);
            return response::status(config, &head, StatusCode::PAYLOAD_TOO_LARGE);
        }
        Ok(Err(BodyError::TooManyChunks)) => {
            tracing::debug!(sid = %core.sid(), limit = limits.chunks, "POST body in too many pieces");
            close(&entry, CloseReason::TransportError);
            return response::status(config, &head, StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(_) => {
            // Node: "http request timeout".
            tracing::debug!(sid = %core.sid(), "POST body not sent in time");
            close(&entry, CloseReason::TransportError);
            return response::status(config, &head, StatusCode::REQUEST_TIMEOUT);
        }
        Ok(Err(BodyError::Read(e))) => {
            tracing::debug!(sid = %core.sid(), error = %e, "POST body not read");
            close(&entry, CloseReason::TransportError);
            return response::refuse(config, &head, ErrorCode::BadRequest, None, "body not read");
        }
    };
    let packets = match decode_body(&head, &query, core, body) {
        Ok(packets) => packets,
        Err(e) => {
            tracing::debug!(sid = %core.sid(), error = %e, "malformed payload");
            close(&entry, CloseReason::ParseError);
            return response::refuse(
                config,
                &head,
                ErrorCode::BadRequest,
                None,
                "malformed payload",
            );
        }
    };
    // Requests that were read at the same moment as this one are handled
    // first, in the order they came, as Node's single thread handles them:
    // tokio runs the task woken last first, so without this a POST that
    // closes the session could overtake the GET sent just before it.
    tokio::task::yield_now().await;
    {
        let mut state = core.lock();
        state.session.handle_post(packets, crate::clock::now());
        core.wake_after_input(&state);
    }
    entry.dispatch();
    // Node answers "ok" as HTML; clients only look at the status.
    let mut response = response::build(StatusCode::OK, "text/html", Bytes::from_static(b"ok"));
    response::finish(config, &head, &mut response);
    response
}

/// A second GET (or POST) while one was pending: the session closed (with
/// `transport error`), and this request is refused.
fn overlapped<H: Handler>(
    server: &Server<H>,
    head: &RequestHead,
    entry: &Entry<H::Connection>,
    context: &'static str,
) -> Response<ResponseBody> {
    entry.dispatch();
    entry.core.wake_all();
    response::refuse(server.config(), head, ErrorCode::BadRequest, None, context)
}

struct PendingPost<'a>(&'a Core);

impl Drop for PendingPost<'_> {
    fn drop(&mut self) {
        self.0.lock().session.end_post();
    }
}

fn close<C: Connection>(entry: &Entry<C>, reason: CloseReason) {
    let mut state = entry.core.lock();
    let transport = state.session.transport();
    state.session.handle_transport_closed(transport, reason);
    drop(state);
    entry.dispatch();
    entry.core.wake_all();
}

enum BodyError {
    TooLarge,
    TooManyChunks,
    Read(String),
}

/// What a POST body may hold: bytes, and pieces it comes in.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    bytes: usize,
    chunks: usize,
}

/// Reads the body, refusing it as soon as it passes the limits (or at once,
/// when Content-Length says it will).
async fn read_body<B>(head: &RequestHead, body: B, limits: BodyLimits) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let announced = head
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits.bytes as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut buffer = BodyBuffer::new(limits.bytes);
    let mut body = pin!(body);
    let mut chunks = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            chunks += 1;
            if chunks > limits.chunks {
                return Err(BodyError::TooManyChunks);
            }
            buffer
                .handle_chunk(&data)
                .map_err(|_| BodyError::TooLarge)?;
        }
    }
    Ok(buffer.finish())
}

/// The packets of a POST body, in the format its version, Content-Type
/// and JSONP-ness say.
fn decode_body(
    head: &RequestHead,
    query: &Query,
    core: &Core,
    body: Bytes,
) -> Result<Vec<Packet>, ProtocolError> {
    let version = core.version();
    if query.jsonp.is_some() {
        let form = std::str::from_utf8(&body).map_err(|_| ProtocolError::InvalidUtf8)?;
        let payload = jsonp::unwrap_body(form).ok_or(ProtocolError::EmptyPayload)?;
        return decode_payload(Bytes::from(payload), text_format(version));
    }
    let content_type = head
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    decode_payload(body, PayloadFormat::for_request(version, content_type))
}

/// The text payload format of a version (JSONP and `b64` clients).
fn text_format(version: ProtocolVersion) -> PayloadFormat {
    match version {
        ProtocolVersion::V4 => PayloadFormat::V4,
        ProtocolVersion::V3 => PayloadFormat::V3String,
    }
}

/// Everything the session has for polling now.
fn drain(session: &mut Session) -> Vec<Packet> {
    session
        .poll_batch(Transport::Polling)
        .into_iter()
        .map(Transmit::into_packet)
        .collect()
}

/// A 200 carrying `packets` as one payload: binary or text as the client
/// said at its handshake (`b64`), or a JSONP script; compressed when large
/// and accepted.
fn payload_response<H: Handler>(
    server: &Server<H>,
    head: &RequestHead,
    query: &Query,
    supports_binary: bool,
    packets: &[Packet],
    initial: impl FnOnce(&mut http::HeaderMap),
) -> Response<ResponseBody> {
    let config = server.config();
    let mut out = BytesMut::new();
    let (body, content_type) = match query.jsonp {
        Some(index) => {
            encode_payload(packets, text_format(query.version), &mut out);
            // Text payloads are ASCII or copied from UTF-8 text.
            let text = String::from_utf8_lossy(&out);
            (Bytes::from(jsonp::wrap(index, &text)), jsonp::CONTENT_TYPE)
        }
        None => {
            let format = PayloadFormat::for_response(query.version, supports_binary, packets);
            encode_payload(packets, format, &mut out);
            (out.freeze(), format.content_type())
        }
    };
    let (body, encoding) = response::compress(head, config.compression_threshold, body);
    let mut response = response::build(StatusCode::OK, content_type, body);
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    initial(response.headers_mut());
    response::finish(config, head, &mut response);
    response
}

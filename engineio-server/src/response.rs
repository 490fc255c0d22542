//! Building HTTP responses: bodies, the error JSON, the hooks' headers,
//! CORS and compression.

use std::io::Write as _;

use bytes::Bytes;
use engineio_protocol::ErrorCode;
use flate2::write::{GzEncoder, ZlibEncoder};
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::config::{Config, ConnectionError, RequestHead};
use crate::cors::OriginVerdict;

/// The body of every response the server gives.
pub type ResponseBody = Full<Bytes>;

/// A response with this status, content type and body.
pub(crate) fn build(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if !content_type.is_empty() {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// Adds what every response gets: CORS headers and the `headers` hook.
pub(crate) fn finish(config: &Config, head: &RequestHead, response: &mut Response<ResponseBody>) {
    if let Some(cors) = &config.cors {
        let verdict = head.extensions.get::<OriginVerdict>().copied();
        cors.apply(&head.headers, verdict, response.headers_mut());
    }
    if let Some(hook) = &config.headers {
        hook(head, response.headers_mut());
    }
}

/// The answer to a refused request: the engine.io error JSON with its
/// status, after telling the `connection_error` hook.
pub(crate) fn refuse(
    config: &Config,
    head: &RequestHead,
    code: ErrorCode,
    message: Option<&str>,
    context: &str,
) -> Response<ResponseBody> {
    let message_text = message.unwrap_or(code.message());
    tracing::debug!(uri = %head.uri, code = code.code(), message = message_text, context, "request refused");
    if let Some(hook) = &config.connection_error {
        hook(&ConnectionError {
            method: head.method.clone(),
            uri: head.uri.clone(),
            headers: head.headers.clone(),
            code,
            message: message_text.to_owned(),
            context: context.to_owned(),
        });
    }
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = build(status, "application/json", code.json_body(message).into());
    finish(config, head, &mut response);
    response
}

/// A plain response with a status and a short text, for HTTP-level
/// failures (413, 404).
pub(crate) fn status(
    config: &Config,
    head: &RequestHead,
    status: StatusCode,
) -> Response<ResponseBody> {
    let text = status.canonical_reason().unwrap_or("error");
    let mut response = build(status, "text/plain; charset=UTF-8", Bytes::from(text));
    finish(config, head, &mut response);
    response
}

/// Compresses `body` as the client accepts (gzip first, then deflate), if
/// it is at least `threshold` bytes. Returns the encoding used.
pub(crate) fn compress(
    head: &RequestHead,
    threshold: Option<usize>,
    body: Bytes,
) -> (Bytes, Option<&'static str>) {
    let Some(threshold) = threshold else {
        return (body, None);
    };
    if body.len() < threshold {
        return (body, None);
    }
    let accepted = head
        .headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (!refused).then_some(name)
        })
        .collect::<Vec<_>>();
    let encoding = if accepted.iter().any(|e| e == "gzip" || e == "*") {
        "gzip"
    } else if accepted.iter().any(|e| e == "deflate") {
        "deflate"
    } else {
        return (body, None);
    };
    let compressed = match encoding {
        "gzip" => {
            let mut enc = GzEncoder::new(
                Vec::with_capacity(body.len() / 2),
                flate2::Compression::default(),
            );
            enc.write_all(&body).and_then(|()| enc.finish())
        }
        _ => {
            let mut enc = ZlibEncoder::new(
                Vec::with_capacity(body.len() / 2),
                flate2::Compression::default(),
            );
            enc.write_all(&body).and_then(|()| enc.finish())
        }
    };
    match compressed {
        Ok(data) => (data.into(), Some(encoding)),
        // Writing to a Vec does not fail; send it as it is if it ever does.
        Err(_) => (body, None),
    }
}

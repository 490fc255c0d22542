//! The handshake a socket keeps (Node's `socket.handshake`).

use std::time::{SystemTime, UNIX_EPOCH};

use engineio_server::RequestInfo;
use socketio_adapter::Handshake;
use socketio_parser::{JsDate, Value};

/// The handshake of a socket whose connection made `request`, with the
/// auth payload of its CONNECT.
pub(crate) fn build(request: &RequestInfo, auth: Value) -> Handshake {
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let query = request
        .uri
        .query()
        .map(|q| {
            engineio_protocol::query_pairs(q)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let issued = request
        .time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Handshake {
        xdomain: headers.iter().any(|(n, _)| n == "origin"),
        headers,
        time: js_date(request.time),
        address: request
            .remote_addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        secure: false,
        issued,
        url: request
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_default(),
        query,
        auth: match auth {
            Value::Null => Value::Object(Vec::new()),
            auth => auth,
        },
    }
}

/// `time` as JavaScript's `new Date().toString()` writes it in UTC:
/// `Wed Nov 25 2026 01:23:45 GMT+0000 (Coordinated Universal Time)`.
fn js_date(time: SystemTime) -> String {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    JsDate::from_millis(ms).to_js_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn dates_read_as_javascript_writes_them() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_569_825);
        assert_eq!(
            js_date(t),
            "Wed Nov 25 2026 01:23:45 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            js_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "Tue Feb 29 2000 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }
}

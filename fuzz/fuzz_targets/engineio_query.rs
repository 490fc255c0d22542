//! Fuzzes the engine.io request query: `Query::parse`, `query_pairs` and `percent_decode`.
//!
//! Input: the query string (without `?`); invalid UTF-8 is replaced by
//! U+FFFD first, as a server would have to.
//!
//! Checked:
//! - `percent_decode` of a string with no `%` or `+` is the string itself,
//!   and `percent_decode` undoes a full percent-encoding of any string;
//! - when `Query::parse` succeeds, its fields are those of the last `EIO`,
//!   `transport`, `sid` and `j` pairs, and `b64` is set iff a `b64` key is
//!   present;
//! - the parsed query written back as a query string parses to the same
//!   `Query`.
#![no_main]

use engineio_protocol::{percent_decode, query_pairs, ProtocolVersion, Query, Transport};
use libfuzzer_sys::fuzz_target;

/// Percent-encodes every byte but ASCII letters and digits.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn last(query: &str, key: &str) -> Option<String> {
    query_pairs(query)
        .filter(|(k, _)| k == key)
        .last()
        .map(|(_, v)| v.into_owned())
}

fuzz_target!(|input: &[u8]| {
    let query = String::from_utf8_lossy(input);
    let query: &str = &query;

    if !query.contains(['%', '+']) {
        assert_eq!(percent_decode(query), query);
    }
    assert_eq!(percent_decode(&percent_encode(query)), query);

    let Ok(parsed) = Query::parse(query) else {
        return;
    };
    let version = match parsed.version {
        ProtocolVersion::V3 => "3",
        ProtocolVersion::V4 => "4",
    };
    assert_eq!(last(query, "EIO").as_deref(), Some(version));
    assert_eq!(
        last(query, "transport").as_deref(),
        Some(parsed.transport.as_str())
    );
    assert_eq!(last(query, "sid"), parsed.sid);
    assert_eq!(last(query, "b64").is_some(), parsed.b64);
    assert_eq!(
        last(query, "j").map(|j| j.parse::<u32>().expect("j parsed")),
        parsed.jsonp
    );
    assert!(matches!(
        parsed.transport,
        Transport::Polling | Transport::Websocket
    ));

    let mut again = format!("EIO={version}&transport={}", parsed.transport.as_str());
    if let Some(sid) = &parsed.sid {
        again.push_str("&sid=");
        again.push_str(&percent_encode(sid));
    }
    if parsed.b64 {
        again.push_str("&b64=1");
    }
    if let Some(j) = parsed.jsonp {
        again.push_str(&format!("&j={j}"));
    }
    assert_eq!(Query::parse(&again).as_ref(), Ok(&parsed), "{again:?}");
});

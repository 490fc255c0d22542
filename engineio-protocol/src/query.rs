//! The query string of an engine.io request, parsed into a typed value.

use std::borrow::Cow;

use crate::{Error, ProtocolVersion};

/// The transports a session can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling (`transport=polling`).
    Polling,
    /// WebSocket (`transport=websocket`).
    Websocket,
}

impl Transport {
    /// The name used in the `transport` query parameter and the `upgrades` list.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::Websocket => "websocket",
        }
    }
}

/// The engine.io parameters of a request's query string.
///
/// | parameter | meaning |
/// |---|---|
/// | `EIO` | protocol version: `4`, or `3` for socket.io 2.x clients |
/// | `transport` | `polling` or `websocket` |
/// | `sid` | the session id, absent on the handshake |
/// | `b64` | the client cannot receive binary (v3): send base64 |
/// | `t` | a cache-busting timestamp, ignored |
/// | `j` | JSONP callback index (polling for old browsers) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The protocol version the client speaks.
    pub version: ProtocolVersion,
    /// The transport of this request.
    pub transport: Transport,
    /// The session id, or `None` for a handshake.
    pub sid: Option<String>,
    /// Whether the client asked for base64 instead of binary.
    pub b64: bool,
    /// The JSONP callback index, when the client polls with JSONP.
    pub jsonp: Option<u32>,
}

impl Query {
    /// Parses the query string (without the leading `?`).
    ///
    /// The transport is checked first, then the version, as Node's engine.io
    /// does: a missing or unknown `transport` is
    /// [`Error::UnknownTransport`], a missing or unknown `EIO` is
    /// [`Error::UnsupportedProtocolVersion`] (stricter than Node, which takes
    /// a missing `EIO` for 3). Whether v3 is allowed is the server's call.
    pub fn parse(query: &str) -> Result<Self, Error> {
        let (mut eio, mut transport, mut sid, mut b64, mut jsonp) = (None, None, None, false, None);
        for (key, value) in pairs(query) {
            match &*key {
                "EIO" => eio = Some(value),
                "transport" => transport = Some(value),
                "sid" => sid = Some(value.into_owned()),
                "b64" => b64 = true,
                "j" => jsonp = Some(value),
                _ => {}
            }
        }
        let transport = match transport.as_deref() {
            Some("polling") => Transport::Polling,
            Some("websocket") => Transport::Websocket,
            _ => return Err(Error::UnknownTransport),
        };
        let version = match eio.as_deref() {
            Some("4") => ProtocolVersion::V4,
            Some("3") => ProtocolVersion::V3,
            _ => return Err(Error::UnsupportedProtocolVersion),
        };
        let jsonp = match jsonp {
            None => None,
            Some(j) => Some(
                j.parse::<u32>()
                    .ok()
                    .filter(|_| j.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(Error::InvalidQuery("j"))?,
            ),
        };
        Ok(Self {
            version,
            transport,
            sid,
            b64,
            jsonp,
        })
    }
}

/// The `key=value` pairs of a query string, percent-decoded, with `+` as a
/// space (as Node's `querystring` reads them). Invalid UTF-8 after decoding
/// is replaced by U+FFFD.
pub fn pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
}

/// Decodes `%XX` escapes and `+`; malformed escapes are kept as they are.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_query_parses() {
        let q = Query::parse("EIO=4&transport=polling&t=N8hyd6w").unwrap();
        assert_eq!(
            q,
            Query {
                version: ProtocolVersion::V4,
                transport: Transport::Polling,
                sid: None,
                b64: false,
                jsonp: None
            }
        );
        let q = Query::parse("EIO=3&transport=websocket&sid=ab%2Bc&b64=1&j=2").unwrap();
        assert_eq!(q.version, ProtocolVersion::V3);
        assert_eq!(q.transport, Transport::Websocket);
        assert_eq!(q.sid.as_deref(), Some("ab+c"));
        assert!(q.b64);
        assert_eq!(q.jsonp, Some(2));
    }

    #[test]
    fn transport_is_checked_before_version() {
        assert_eq!(
            Query::parse("EIO=9&transport=carrier-pigeon"),
            Err(Error::UnknownTransport)
        );
        assert_eq!(Query::parse("EIO=4"), Err(Error::UnknownTransport));
        assert_eq!(
            Query::parse("transport=polling"),
            Err(Error::UnsupportedProtocolVersion)
        );
        assert_eq!(
            Query::parse("EIO=5&transport=polling"),
            Err(Error::UnsupportedProtocolVersion)
        );
        assert_eq!(
            Query::parse("EIO=4&transport=polling&j=x"),
            Err(Error::InvalidQuery("j"))
        );
        assert_eq!(
            Error::UnknownTransport.code(),
            crate::ErrorCode::UnknownTransport
        );
    }

    #[test]
    fn percent_decoding_reads_like_node_querystring() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        let p: Vec<_> = pairs("a=1&&b&c=x%3Dy").collect();
        assert_eq!(
            p,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x=y".into())
            ]
        );
    }
}

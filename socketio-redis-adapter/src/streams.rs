//! The wire format of `@socket.io/redis-streams-adapter` 0.3: the
//! `ClusterAdapter` messages of socket.io-adapter 2.5 (`{type, data, uid,
//! nsp}`), as stream entries (`uid nsp type data`, `data` in JSON or, when
//! it holds binary, base64 of msgpack) and as PUB/SUB messages (the whole
//! envelope in msgpack); the sessions kept for connection state recovery
//! (base64 of msgpack `{sid, pid, rooms, data}`); which stream a namespace
//! uses; the offsets. Sans-IO: values in, bytes out.
//!
//! Tested against the bytes Node writes (research notes, appendix A); the
//! adapter that speaks it over Redis is in `adapter`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use socketio_adapter::{Error, PersistedSession, Room, SocketId};
use socketio_parser::{decode_msgpack, encode_msgpack, Value};

use crate::cluster::{ClusterMessage, MessageType};
use crate::message::{object, rooms};

mod adapter;
mod config;
mod link;
mod restore;

pub use adapter::RedisStreamsAdapter;
pub use config::RedisStreamsAdapterConfig;

impl ClusterMessage {
    /// Whether Node publishes it over PUB/SUB rather than the stream: acked
    /// broadcasts, server-side emits and fetchSockets requests (0.3's
    /// `isEphemeral`). Answers always go over PUB/SUB.
    pub(crate) fn is_ephemeral(&self) -> bool {
        match self.kind {
            MessageType::Broadcast => self.field("requestId").is_some(),
            MessageType::ServerSideEmit | MessageType::FetchSockets => true,
            _ => false,
        }
    }

    /// The fields of its stream entry, in Node's order: `uid`, `nsp`,
    /// `type` (in decimal), and `data` when there is some: JSON, or base64
    /// of msgpack when it may and does hold binary (and `only_plaintext`
    /// is off).
    pub(crate) fn encode_entry(&self, only_plaintext: bool) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("uid", self.uid.clone()),
            ("nsp", self.nsp.clone()),
            ("type", (self.kind as u64).to_string()),
        ];
        if let Some(data) = &self.data {
            let binary = !only_plaintext && self.kind.may_contain_binary() && data.has_binary();
            let text = if binary {
                BASE64.encode(encode_msgpack(data))
            } else {
                // Without binary, a Value always has a JSON text.
                serde_json::to_string(data).unwrap_or_default()
            };
            fields.push(("data", text));
        }
        fields
    }

    /// A stream entry, given its fields by name. An entry without `nsp`
    /// is not a message (Node skips it too).
    pub(crate) fn decode_entry<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Result<Self, Error> {
        let nsp = field("nsp").ok_or_else(|| Error::Malformed("an entry without nsp".into()))?;
        let kind = field("type")
            .and_then(|t| t.parse::<u64>().ok())
            .and_then(MessageType::from_u64)
            .ok_or_else(|| Error::Malformed("unknown message type".into()))?;
        let data = match field("data") {
            None | Some("") => None,
            Some(json) if json.starts_with('{') => {
                Some(serde_json::from_str(json).map_err(|e| Error::Malformed(e.to_string()))?)
            }
            Some(base64) => {
                let bytes = BASE64
                    .decode(base64)
                    .map_err(|e| Error::Malformed(e.to_string()))?;
                Some(
                    decode_msgpack(Bytes::from(bytes))
                        .map_err(|e| Error::Malformed(e.to_string()))?,
                )
            }
        };
        Ok(Self {
            kind,
            uid: field("uid").unwrap_or_default().to_owned(),
            nsp: nsp.to_owned(),
            data,
        })
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A session kept for connection state recovery, as 0.3 stores it under
/// `sio:session:<pid>`: base64 of msgpack `{sid, pid, rooms, data}`, the
/// socket's own room first, as Node lists a socket's rooms.
pub(crate) fn encode_session(session: &PersistedSession) -> String {
    let own = Room::from(&session.sid);
    let mut others: Vec<&str> = session
        .rooms
        .iter()
        .filter(|r| **r != own)
        .map(Room::as_str)
        .collect();
    others.sort_unstable();
    let rooms = std::iter::once(own.as_str())
        .filter(|_| session.rooms.contains(&own))
        .chain(others)
        .map(Value::from)
        .collect();
    let value = object([
        ("sid", Value::from(session.sid.as_str())),
        ("pid", Value::from(session.pid.as_str())),
        ("rooms", Value::Array(rooms)),
        ("data", session.data.clone()),
    ]);
    BASE64.encode(encode_msgpack(&value))
}

/// A session as [`encode_session`] (or a Node server) stored it.
pub(crate) fn decode_session(stored: &str) -> Result<PersistedSession, Error> {
    let bytes = BASE64
        .decode(stored)
        .map_err(|e| Error::Malformed(e.to_string()))?;
    let value = decode_msgpack(Bytes::from(bytes)).map_err(|e| Error::Malformed(e.to_string()))?;
    let sid = value
        .get("sid")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Malformed("a session without sid".into()))?;
    let rooms = rooms(value.get("rooms"));
    Ok(PersistedSession {
        sid: SocketId::from(sid),
        pid: text(value.get("pid")),
        rooms,
        data: value.get("data").cloned().unwrap_or(Value::Null),
    })
}

/// Java's `String.hashCode` over UTF-16 code units, wrapping at 32 bits,
/// as the streams adapter's `hashCode` computes it.
pub(crate) fn hash_code(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The stream of namespace `nsp`: `name` itself with one stream, else
/// `name-<i>` with `i` the namespace's hash modulo the count, its sign
/// kept as JavaScript's `%` keeps it (so a namespace with a negative hash
/// gets a stream no reader polls, in Node as here).
pub(crate) fn stream_name(name: &str, count: u32, nsp: &str) -> String {
    if count <= 1 {
        return name.to_owned();
    }
    let i = i64::from(hash_code(nsp)) % i64::from(count);
    format!("{name}-{i}")
}

/// Whether `offset` is a stream entry id (`<ms>-<seq>`), the only offsets
/// a session is restored from.
pub(crate) fn is_offset(offset: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(offset.split_once('-'), Some((ms, seq)) if digits(ms) && digits(seq))
}

/// The first id after `offset` (an exclusive start for XRANGE that works
/// before Redis 6.2, as Node computes it).
pub(crate) fn next_offset(offset: &str) -> Option<String> {
    let (ms, seq) = offset.split_once('-')?;
    let seq: u64 = seq.parse().ok()?;
    Some(format!("{ms}-{}", seq.checked_add(1)?))
}

#[cfg(test)]
mod tests;

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
use socketio_parser::{decode_msgpack, encode_msgpack, Packet, Value};

use crate::message::{as_u64, object, rooms};

mod adapter;
mod config;
mod incoming;
mod link;
mod restore;

pub use adapter::RedisStreamsAdapter;
pub use config::RedisStreamsAdapterConfig;

/// The `type` of a cluster message (`MessageType` of socket.io-adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageType {
    /// Sent by the heartbeat family only (streams 0.2), never by 0.3.
    InitialHeartbeat = 1,
    /// As `InitialHeartbeat`.
    Heartbeat = 2,
    /// A broadcast; with a `requestId`, one whose clients answer.
    Broadcast = 3,
    /// Sockets join rooms.
    SocketsJoin = 4,
    /// Sockets leave rooms.
    SocketsLeave = 5,
    /// Sockets are disconnected.
    DisconnectSockets = 6,
    /// The details of the sockets selected.
    FetchSockets = 7,
    /// A server's answer to `FetchSockets`.
    FetchSocketsResponse = 8,
    /// An event for the other servers' own handlers.
    ServerSideEmit = 9,
    /// A server's answer to an acked `ServerSideEmit`.
    ServerSideEmitResponse = 10,
    /// How many clients a server sent an acked broadcast to.
    BroadcastClientCount = 11,
    /// One client's answer to an acked broadcast.
    BroadcastAck = 12,
    /// Sent by the heartbeat family only, when a server leaves.
    AdapterClose = 13,
}

impl MessageType {
    fn from_u64(n: u64) -> Option<Self> {
        Some(match n {
            1 => Self::InitialHeartbeat,
            2 => Self::Heartbeat,
            3 => Self::Broadcast,
            4 => Self::SocketsJoin,
            5 => Self::SocketsLeave,
            6 => Self::DisconnectSockets,
            7 => Self::FetchSockets,
            8 => Self::FetchSocketsResponse,
            9 => Self::ServerSideEmit,
            10 => Self::ServerSideEmitResponse,
            11 => Self::BroadcastClientCount,
            12 => Self::BroadcastAck,
            13 => Self::AdapterClose,
            _ => return None,
        })
    }

    /// The types whose `data` Node checks for binary before it picks JSON.
    fn may_contain_binary(self) -> bool {
        matches!(
            self,
            Self::Broadcast
                | Self::FetchSocketsResponse
                | Self::ServerSideEmit
                | Self::ServerSideEmitResponse
                | Self::BroadcastAck
        )
    }
}

/// A message between the servers of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterMessage {
    pub(crate) kind: MessageType,
    /// The sending server (16 hex characters; `emitter` for an emitter).
    pub(crate) uid: String,
    pub(crate) nsp: String,
    /// The fields of the message, in Node's order; none for heartbeats.
    pub(crate) data: Option<Value>,
}

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

    /// The field `name` of `data`.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref()?.get(name)
    }

    /// The whole envelope `{type, data, uid, nsp}` in msgpack, as 0.3
    /// publishes it over PUB/SUB.
    pub(crate) fn encode_envelope(&self) -> Vec<u8> {
        let mut fields = vec![("type".to_owned(), Value::from(self.kind as u64))];
        if let Some(data) = &self.data {
            fields.push(("data".to_owned(), data.clone()));
        }
        fields.push(("uid".to_owned(), Value::from(self.uid.as_str())));
        fields.push(("nsp".to_owned(), Value::from(self.nsp.as_str())));
        encode_msgpack(&Value::Object(fields))
    }

    /// A message received over PUB/SUB.
    pub(crate) fn decode_envelope(bytes: Bytes) -> Result<Self, Error> {
        let value = decode_msgpack(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
        let kind = value
            .get("type")
            .and_then(as_u64)
            .and_then(MessageType::from_u64)
            .ok_or_else(|| Error::Malformed("unknown message type".into()))?;
        Ok(Self {
            kind,
            uid: text(value.get("uid")),
            nsp: text(value.get("nsp")),
            data: value.get("data").cloned(),
        })
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

/// socket.io's packet as cluster messages carry it: `{type: 2, data}`,
/// without `nsp` and with binary inline.
pub(crate) fn encode_packet(packet: &Packet) -> Value {
    let data = match packet {
        Packet::Event { data, .. } | Packet::BinaryEvent { data, .. } => data.clone(),
        _ => Vec::new(),
    };
    object([("type", Value::from(2u64)), ("data", Value::Array(data))])
}

/// The event a cluster message's packet holds, for namespace `nsp`.
pub(crate) fn decode_packet(value: Option<&Value>, nsp: &str) -> Result<Packet, Error> {
    match value.and_then(|p| p.get("data")) {
        Some(Value::Array(data)) => match data.split_first() {
            Some((Value::String(event), args)) => {
                Ok(Packet::event(nsp.to_owned(), event, args.to_vec(), None))
            }
            _ => Err(Error::Malformed("no event name in the packet".into())),
        },
        _ => Err(Error::Malformed("no event in the packet".into())),
    }
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

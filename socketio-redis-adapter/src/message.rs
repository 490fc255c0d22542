//! The classic adapter's messages, as `@socket.io/redis-adapter` 8.x
//! (`createAdapter`) writes and reads them: broadcasts in notepack msgpack
//! (`[uid, packet, opts]`), requests and responses in JSON, except the
//! broadcast-with-ack request and its acks, which are msgpack. Sans-IO:
//! bytes in, bytes out.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use socketio_adapter::{
    BroadcastFlags, BroadcastOptions, Handshake, Room, SocketDetails, SocketId,
};
use socketio_parser::{decode_msgpack, encode_msgpack, Packet, Value};

use socketio_adapter::Error;

/// The `type` of a request or response (`RequestType` in Node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestType {
    /// Socket ids in rooms (sent by adapters before 8.0 only).
    Sockets = 0,
    /// Every room of every server.
    AllRooms = 1,
    /// Sockets join rooms.
    RemoteJoin = 2,
    /// Sockets leave rooms.
    RemoteLeave = 3,
    /// Sockets are disconnected.
    RemoteDisconnect = 4,
    /// The details of the sockets selected.
    RemoteFetch = 5,
    /// An event for the other servers' own handlers.
    ServerSideEmit = 6,
    /// A broadcast whose receivers answer with acks.
    Broadcast = 7,
    /// How many clients a server sent an acked broadcast to.
    BroadcastClientCount = 8,
    /// One client's answer to an acked broadcast.
    BroadcastAck = 9,
}

impl RequestType {
    fn from_value(value: Option<&Value>) -> Option<Self> {
        Some(match as_u64(value?)? {
            0 => Self::Sockets,
            1 => Self::AllRooms,
            2 => Self::RemoteJoin,
            3 => Self::RemoteLeave,
            4 => Self::RemoteDisconnect,
            5 => Self::RemoteFetch,
            6 => Self::ServerSideEmit,
            7 => Self::Broadcast,
            8 => Self::BroadcastClientCount,
            9 => Self::BroadcastAck,
            _ => return None,
        })
    }
}

/// A map in the key order given (Node's objects keep insertion order).
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A number as an unsigned integer.
pub(crate) fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// A room as Node may send it: a string, or a number for numeric rooms.
fn room(value: &Value) -> Option<Room> {
    match value {
        Value::String(s) => Some(Room::from(s.as_str())),
        Value::Number(n) => Some(Room::from(n.to_string())),
        _ => None,
    }
}

pub(crate) fn rooms(value: Option<&Value>) -> HashSet<Room> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(room).collect(),
        _ => HashSet::new(),
    }
}

fn room_list(rooms: &HashSet<Room>) -> Value {
    let mut names: Vec<&str> = rooms.iter().map(Room::as_str).collect();
    names.sort_unstable();
    Value::Array(names.into_iter().map(Value::from).collect())
}

/// `{rooms, except, flags}`; `flags` holds only what was set, as Node's
/// broadcast operator builds it, and never `local` (it does not travel).
pub(crate) fn encode_options(opts: &BroadcastOptions) -> Value {
    let mut flags = Vec::new();
    if !opts.flags.compress {
        flags.push(("compress".to_owned(), Value::Bool(false)));
    }
    if opts.flags.volatile {
        flags.push(("volatile".to_owned(), Value::Bool(true)));
    }
    if let Some(timeout) = opts.flags.timeout {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        flags.push(("timeout".to_owned(), Value::from(ms)));
    }
    object([
        ("rooms", room_list(&opts.rooms)),
        ("except", room_list(&opts.except)),
        ("flags", Value::Object(flags)),
    ])
}

/// The options of a message from another server; unknown flags are
/// ignored, and `local` never comes from outside.
pub(crate) fn decode_options(value: Option<&Value>) -> BroadcastOptions {
    let Some(value) = value else {
        return BroadcastOptions::default();
    };
    let flags = value.get("flags");
    let flag = |name| flags.and_then(|f| f.get(name));
    BroadcastOptions {
        rooms: rooms(value.get("rooms")),
        except: rooms(value.get("except")),
        flags: BroadcastFlags {
            local: false,
            volatile: flag("volatile").and_then(as_bool).unwrap_or(false),
            compress: flag("compress").and_then(as_bool).unwrap_or(true),
            timeout: flag("timeout").and_then(as_u64).map(Duration::from_millis),
        },
    }
}

/// socket.io's packet as the adapters exchange it: `{type: 2, data, nsp}`,
/// binary inline (never BINARY_EVENT).
fn encode_packet(packet: &Packet) -> Value {
    let data = match packet {
        Packet::Event { data, .. } | Packet::BinaryEvent { data, .. } => data.clone(),
        _ => Vec::new(),
    };
    object([
        ("type", Value::from(2u64)),
        ("data", Value::Array(data)),
        ("nsp", Value::from(packet.nsp().as_str())),
    ])
}

/// The event of a packet from another server, for namespace `nsp` (a
/// packet without `nsp` is for `/`, as old emitters send it).
fn decode_packet(value: Option<&Value>, nsp: &str) -> Result<Packet, Error> {
    let value = value.ok_or_else(|| Error::Malformed("no packet".into()))?;
    let packet_nsp = value.get("nsp").and_then(Value::as_str).unwrap_or("/");
    if packet_nsp != nsp {
        return Err(Error::Malformed(format!("a packet for {packet_nsp}")));
    }
    match value.get("data") {
        Some(Value::Array(data)) if matches!(data.first(), Some(Value::String(_))) => {
            let mut data = data.clone();
            let Value::String(event) = data.remove(0) else {
                return Err(Error::Malformed("no event name".into()));
            };
            Ok(Packet::event(nsp.to_owned(), &event, data, None))
        }
        _ => Err(Error::Malformed("no event in the packet".into())),
    }
}

/// A broadcast: `[uid, packet, opts]` in msgpack.
pub(crate) fn encode_broadcast(uid: &str, packet: &Packet, opts: &BroadcastOptions) -> Vec<u8> {
    encode_msgpack(&Value::Array(vec![
        Value::from(uid),
        encode_packet(packet),
        encode_options(opts),
    ]))
}

/// A broadcast from another server: its uid, the packet and the options.
pub(crate) fn decode_broadcast(
    bytes: Bytes,
    nsp: &str,
) -> Result<(String, Packet, BroadcastOptions), Error> {
    let value = decode_msgpack(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let Value::Array(parts) = value else {
        return Err(Error::Malformed("a broadcast is an array".into()));
    };
    let uid = string(parts.first()).unwrap_or_default();
    let packet = decode_packet(parts.get(1), nsp)?;
    Ok((uid, packet, decode_options(parts.get(2))))
}

/// A request or response: JSON when it starts with `{`, msgpack otherwise,
/// as Node tells them apart.
pub(crate) fn decode_any(bytes: Bytes) -> Result<Value, Error> {
    if bytes.first() == Some(&b'{') {
        serde_json::from_slice(&bytes).map_err(|e| Error::Malformed(e.to_string()))
    } else {
        decode_msgpack(bytes).map_err(|e| Error::Malformed(e.to_string()))
    }
}

/// JSON text of `value`, keys in order, binary written as Node's
/// `JSON.stringify` writes a `Buffer`: `{"type":"Buffer","data":[...]}`
/// (Node's servers read it back as that object, not as binary).
pub(crate) fn json(value: &Value) -> Vec<u8> {
    fn buffers(value: &Value) -> Value {
        match value {
            Value::Binary(bytes) => object([
                ("type", Value::from("Buffer")),
                (
                    "data",
                    Value::Array(bytes.iter().map(|b| Value::from(u64::from(*b))).collect()),
                ),
            ]),
            Value::Array(items) => Value::Array(items.iter().map(buffers).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), buffers(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    if value.has_binary() {
        serde_json::to_vec(&buffers(value)).unwrap_or_default()
    } else {
        serde_json::to_vec(value).unwrap_or_default()
    }
}

/// A request from another server, decoded.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) kind: RequestType,
    /// The sender's uid; emitters send none.
    pub(crate) uid: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) body: Value,
}

impl Request {
    pub(crate) fn decode(bytes: Bytes) -> Result<Self, Error> {
        let body = decode_any(bytes)?;
        let kind = RequestType::from_value(body.get("type"))
            .ok_or_else(|| Error::Malformed("unknown request type".into()))?;
        Ok(Self {
            kind,
            uid: string(body.get("uid")),
            request_id: string(body.get("requestId")),
            body,
        })
    }

    pub(crate) fn options(&self) -> BroadcastOptions {
        decode_options(self.body.get("opts"))
    }

    /// The rooms of a join or leave.
    pub(crate) fn rooms(&self) -> Vec<Room> {
        rooms(self.body.get("rooms")).into_iter().collect()
    }

    pub(crate) fn close(&self) -> bool {
        self.body.get("close").and_then(as_bool).unwrap_or(false)
    }

    /// The legacy one-socket forms: `sid` and `room`.
    pub(crate) fn sid(&self) -> Option<SocketId> {
        string(self.body.get("sid")).map(SocketId::from)
    }

    pub(crate) fn room(&self) -> Option<Room> {
        self.body.get("room").and_then(room)
    }

    /// `[event, ...args]` of a server-side emit.
    pub(crate) fn data(&self) -> Vec<Value> {
        match self.body.get("data") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    /// The packet of an acked broadcast.
    pub(crate) fn packet(&self, nsp: &str) -> Result<Packet, Error> {
        decode_packet(self.body.get("packet"), nsp)
    }
}

/// A request with its fields in Node's order: `uid`, `requestId` (when
/// answers are awaited), `type`, then the rest.
pub(crate) fn request(
    uid: &str,
    request_id: Option<&str>,
    kind: RequestType,
    rest: Vec<(&str, Value)>,
) -> Value {
    let mut fields = vec![("uid".to_owned(), Value::from(uid))];
    if let Some(id) = request_id {
        fields.push(("requestId".to_owned(), Value::from(id)));
    }
    fields.push(("type".to_owned(), Value::from(kind as u64)));
    fields.extend(rest.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Value::Object(fields)
}

/// A socket as fetchSockets answers carry it: `{id, handshake, rooms, data}`.
pub(crate) fn encode_socket(socket: &SocketDetails) -> Value {
    let handshake = socket.handshake.to_value();
    object([
        ("id", Value::from(socket.id.as_str())),
        ("handshake", handshake),
        ("rooms", room_list(&socket.rooms)),
        ("data", socket.data.clone()),
    ])
}

/// A socket of another server's fetchSockets answer.
pub(crate) fn decode_socket(value: &Value) -> Option<SocketDetails> {
    let id = string(value.get("id"))?;
    let h = value.get("handshake");
    let get = |key| h.and_then(|h| h.get(key));
    let text = |key| string(get(key)).unwrap_or_default();
    let pairs = |key| match get(key) {
        Some(Value::Object(fields)) => fields
            .iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    Value::Null => return None,
                    other => serde_json::to_string(other).unwrap_or_default(),
                };
                Some((k.clone(), v))
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(SocketDetails {
        id: SocketId::from(id),
        rooms: rooms(value.get("rooms")),
        handshake: Handshake {
            headers: pairs("headers"),
            time: text("time"),
            address: text("address"),
            xdomain: get("xdomain").and_then(as_bool).unwrap_or(false),
            secure: get("secure").and_then(as_bool).unwrap_or(false),
            issued: get("issued").and_then(as_u64).unwrap_or(0),
            url: text("url"),
            query: pairs("query"),
            auth: get("auth").cloned().unwrap_or(Value::Object(Vec::new())),
        },
        data: value.get("data").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests;

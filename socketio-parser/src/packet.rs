//! The Socket.IO packet table.

use engineio_protocol::Str;

use crate::Value;

/// The revision of the Socket.IO protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// Revision 4: socket.io 2.x clients (over engine.io protocol 3). The
    /// default namespace is joined implicitly, a CONNECT packet may carry a
    /// query string in its namespace, and CONNECT_ERROR (then called ERROR)
    /// carries a string.
    V4 = 4,
    /// Revision 5: socket.io 3.x and 4.x clients. CONNECT carries the auth
    /// payload, CONNECT_ERROR an object.
    V5 = 5,
}

/// Event names the protocol reserves: no EVENT packet may use them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The namespace every connection may join.
pub const DEFAULT_NAMESPACE: &str = "/";

/// A Socket.IO packet, one variant per row of the protocol's packet table.
///
/// | type | id | carries |
/// |---|---|---|
/// | CONNECT | 0 | the auth payload (v5), or nothing |
/// | DISCONNECT | 1 | nothing |
/// | EVENT | 2 | `[name, ...args]`, maybe an ack id |
/// | ACK | 3 | `[...args]` and the ack id |
/// | CONNECT_ERROR | 4 | why the connection was refused |
/// | BINARY_EVENT | 5 | like EVENT, with binary data inside |
/// | BINARY_ACK | 6 | like ACK, with binary data inside |
///
/// Binary data sits inside the values as [`Value::Binary`]; how it travels
/// (placeholders and attachments, or inline msgpack) is the
/// [`Parser`](crate::Parser)'s business. The JSON parser sends an EVENT or
/// ACK that holds binary as BINARY_EVENT or BINARY_ACK, as Node does; use
/// [`Packet::event`] and [`Packet::ack`] to pick the right variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `0`: join a namespace (client), or accept the join (server).
    Connect {
        /// The namespace.
        nsp: Str,
        /// v5: the client's auth payload, or the server's `{"sid": ...}`.
        /// v4: the query string of the namespace, as an object of strings.
        data: Option<Value>,
    },
    /// `1`: leave a namespace.
    Disconnect {
        /// The namespace.
        nsp: Str,
    },
    /// `2`: an event: the name and then its arguments.
    Event {
        /// The namespace.
        nsp: Str,
        /// Present when the sender wants an acknowledgement.
        id: Option<u64>,
        /// `[name, ...args]`; the name is a string.
        data: Vec<Value>,
    },
    /// `3`: the answer to an event that had an ack id.
    Ack {
        /// The namespace.
        nsp: Str,
        /// The id of the event this answers.
        id: u64,
        /// The answer's arguments.
        data: Vec<Value>,
    },
    /// `4`: the server refused a namespace join.
    ConnectError {
        /// The namespace.
        nsp: Str,
        /// v5: `{"message": ..., "data": ...}`; v4: usually a string.
        data: Value,
    },
    /// `5`: an event with binary data inside.
    BinaryEvent {
        /// The namespace.
        nsp: Str,
        /// Present when the sender wants an acknowledgement.
        id: Option<u64>,
        /// `[name, ...args]`; the name is a string.
        data: Vec<Value>,
    },
    /// `6`: an acknowledgement with binary data inside.
    BinaryAck {
        /// The namespace.
        nsp: Str,
        /// The id of the event this answers.
        id: u64,
        /// The answer's arguments.
        data: Vec<Value>,
    },
}

impl Packet {
    /// An EVENT (or BINARY_EVENT when an argument holds binary) named `event`.
    pub fn event(nsp: impl Into<Str>, event: &str, args: Vec<Value>, id: Option<u64>) -> Self {
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::from(event));
        data.extend(args);
        let nsp = nsp.into();
        if data.iter().any(Value::has_binary) {
            Self::BinaryEvent { nsp, id, data }
        } else {
            Self::Event { nsp, id, data }
        }
    }

    /// An ACK (or BINARY_ACK when an argument holds binary) for ack `id`.
    pub fn ack(nsp: impl Into<Str>, id: u64, data: Vec<Value>) -> Self {
        let nsp = nsp.into();
        if data.iter().any(Value::has_binary) {
            Self::BinaryAck { nsp, id, data }
        } else {
            Self::Ack { nsp, id, data }
        }
    }

    /// The packet type number of the protocol's packet table.
    pub fn type_id(&self) -> u8 {
        match self {
            Self::Connect { .. } => 0,
            Self::Disconnect { .. } => 1,
            Self::Event { .. } => 2,
            Self::Ack { .. } => 3,
            Self::ConnectError { .. } => 4,
            Self::BinaryEvent { .. } => 5,
            Self::BinaryAck { .. } => 6,
        }
    }

    /// The packet type's name in the protocol document.
    pub fn type_name(&self) -> &'static str {
        TYPE_NAMES[usize::from(self.type_id())]
    }

    /// The namespace this packet belongs to.
    pub fn nsp(&self) -> &Str {
        match self {
            Self::Connect { nsp, .. }
            | Self::Disconnect { nsp }
            | Self::Event { nsp, .. }
            | Self::Ack { nsp, .. }
            | Self::ConnectError { nsp, .. }
            | Self::BinaryEvent { nsp, .. }
            | Self::BinaryAck { nsp, .. } => nsp,
        }
    }

    /// The ack id, for events that want one and for acks.
    pub fn id(&self) -> Option<u64> {
        match self {
            Self::Event { id, .. } | Self::BinaryEvent { id, .. } => *id,
            Self::Ack { id, .. } | Self::BinaryAck { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The event name of an EVENT or BINARY_EVENT.
    pub fn event_name(&self) -> Option<&str> {
        match self {
            Self::Event { data, .. } | Self::BinaryEvent { data, .. } => data.first()?.as_str(),
            _ => None,
        }
    }
}

pub(crate) const TYPE_NAMES: [&str; 7] = [
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
];

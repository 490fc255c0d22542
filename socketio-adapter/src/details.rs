//! What an adapter knows and tells about sockets, here or on other servers.

use std::collections::HashSet;

use socketio_parser::{Packet, Value};

use crate::{Room, SocketId};

/// The handshake of a socket's connection (Node's `socket.handshake`).
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The request headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// When the connection was made, as JavaScript's `Date.toString()` writes it.
    pub time: String,
    /// The client's IP address.
    pub address: String,
    /// Whether the request was cross-origin.
    pub xdomain: bool,
    /// Whether the connection is encrypted.
    pub secure: bool,
    /// When the connection was made, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query).
    pub url: String,
    /// The query parameters.
    pub query: Vec<(String, String)>,
    /// The auth payload the client sent with CONNECT (an empty object if none).
    pub auth: Value,
}

impl Handshake {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The handshake as Node's `socket.handshake` serializes: `{headers,
    /// time, address, xdomain, secure, issued, url, query, auth}`, headers
    /// and query as objects.
    pub fn to_value(&self) -> Value {
        let pairs = |list: &[(String, String)]| {
            Value::Object(
                list.iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            )
        };
        Value::Object(vec![
            ("headers".into(), pairs(&self.headers)),
            ("time".into(), Value::from(self.time.as_str())),
            ("address".into(), Value::from(self.address.as_str())),
            ("xdomain".into(), Value::Bool(self.xdomain)),
            ("secure".into(), Value::Bool(self.secure)),
            ("issued".into(), Value::from(self.issued)),
            ("url".into(), Value::from(self.url.as_str())),
            ("query".into(), pairs(&self.query)),
            ("auth".into(), self.auth.clone()),
        ])
    }
}

/// A socket as `fetch_sockets` returns it, whether it lives on this server
/// or another one.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketDetails {
    /// The socket's id.
    pub id: SocketId,
    /// The rooms it is in (its own id included).
    pub rooms: HashSet<Room>,
    /// Its handshake.
    pub handshake: Handshake,
    /// Its application data, serialized (`socket.data`).
    pub data: Value,
}

/// A disconnected socket's state, kept for connection state recovery.
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedSession {
    /// The socket's id, which the socket gets back.
    pub sid: SocketId,
    /// The private session id the client presents to recover.
    pub pid: String,
    /// The rooms the socket was in.
    pub rooms: HashSet<Room>,
    /// Its application data.
    pub data: Value,
}

/// A session restored by `restore_session`: its state and the packets it
/// missed, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredSession {
    /// The state as it was persisted.
    pub session: PersistedSession,
    /// The packets broadcast to it while it was away, oldest first.
    pub missed_packets: Vec<Packet>,
}

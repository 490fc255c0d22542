//! The Redis adapter layer: a [`socketio_adapter::Adapter`] that joins this
//! server to a cluster through Redis, speaking the wire protocol of Node's
//! `@socket.io/redis-adapter` 8.x (`createAdapter`), so that Rust and Node
//! servers sharing a Redis form one cluster: broadcasts, rooms,
//! `fetch_sockets`, `sockets_join`, `sockets_leave`, `disconnect_sockets`,
//! `server_side_emit` (with acks) and broadcasts with acks all cross it.
//!
//! ```
//! use socketio_redis_adapter::{redis, RedisAdapter, RedisAdapterConfig};
//! use socketio_server::Server;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The same Redis and the same key as the Node servers of the cluster.
//! let client = redis::Client::open("redis://127.0.0.1:6379")?;
//! let io = Server::builder()
//!     .adapter(RedisAdapter::factory(client, RedisAdapterConfig::default()))
//!     .build();
//! io.on_connection(|socket: socketio_server::Socket| async move {
//!     // Reaches every socket of `/` on every server of the cluster.
//!     let _ = socket.namespace().emit("joined", socket.id().as_str());
//! });
//! # Ok(()) }
//! ```
//!
//! [`RedisShardedAdapter`] speaks the protocol of the same package's
//! `createShardedAdapter`: Redis 7's sharded PUB/SUB, on one Redis or a
//! Redis Cluster, with a channel per room so that a broadcast to a room
//! reaches only the servers that have it.
//!
//! [`RedisStreamsAdapter`] speaks `@socket.io/redis-streams-adapter` 0.3's
//! protocol instead (broadcasts and joins through a Redis stream, requests
//! over PUB/SUB), and keeps the sessions of connection state recovery in
//! Redis, so that a client recovers on any server of the cluster.
//!
//! Each namespace's adapter subscribes with its own connection when the
//! namespace is created; what it cannot reach Redis for fails with
//! [`socketio_adapter::Error::Broker`], and requests the other servers do
//! not all answer within [`RedisAdapterConfig::requests_timeout`] fail with
//! [`socketio_adapter::Error::Timeout`]. Local delivery never waits for
//! Redis.

mod classic;
mod cluster;
mod link;
mod message;
mod sharded;
mod streams;

use std::time::Duration;

pub use classic::RedisAdapter;
pub use redis;
pub use sharded::{RedisShardedAdapter, RedisShardedAdapterConfig, SubscriptionMode};
pub use streams::{RedisStreamsAdapter, RedisStreamsAdapterConfig};

/// The classic adapter's options, with Node's names and defaults.
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    pub(crate) key: String,
    pub(crate) requests_timeout: Duration,
    pub(crate) publish_on_specific_response_channel: bool,
}

impl Default for RedisAdapterConfig {
    fn default() -> Self {
        Self {
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
        }
    }
}

impl RedisAdapterConfig {
    /// The prefix of every channel (Node's `key`, default `socket.io`):
    /// servers with different keys never meet.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// How long a request to the other servers (`fetch_sockets`,
    /// `server_side_emit` with acks, ...) waits for every answer (Node's
    /// `requestsTimeout`, default 5 s).
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Whether answers to another server's request go on that server's own
    /// response channel rather than the shared one (Node's
    /// `publishOnSpecificResponseChannel`, default false). Every server of
    /// the cluster should agree.
    pub fn publish_on_specific_response_channel(mut self, specific: bool) -> Self {
        self.publish_on_specific_response_channel = specific;
        self
    }
}

/// `len` random characters of `[A-Za-z0-9]`, as Node's `uid2` makes the
/// adapter's uid and request ids.
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness, still distinct within this process.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes = n.to_le_bytes().iter().cycle().take(len).copied().collect();
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// The value behind `m`, even if a thread panicked while holding it (what
/// it guards stays consistent between our statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A Redis failure, as the adapter reports it.
pub(crate) fn broker(e: redis::RedisError) -> socketio_adapter::Error {
    socketio_adapter::Error::Broker(e.to_string())
}

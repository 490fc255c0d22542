//! The sharded adapter of `@socket.io/redis-adapter` 8.3
//! (`createShardedAdapter`): the `ClusterAdapter` messages over Redis 7's
//! sharded PUB/SUB (`SPUBLISH`/`SSUBSCRIBE`), in JSON, or in msgpack when
//! they hold binary. Each namespace has a main channel
//! (`<prefix>#<nsp>#`), a response channel per server
//! (`<prefix>#<nsp>#<uid>#`) and, in the dynamic modes, a channel per room
//! (`<prefix>#<nsp>#<room>#`), so that a broadcast to one room reaches only
//! the servers that have it.
//!
//! This file holds the rules (which channel a message goes on, which rooms
//! get a channel of their own); `adapter` speaks them over Redis, `link`
//! keeps the connections.

use crate::cluster::{ClusterMessage, MessageType};

mod adapter;
mod config;
pub(crate) mod link;
pub(crate) mod subscriptions;

pub use adapter::RedisShardedAdapter;
pub use config::{RedisShardedAdapterConfig, SubscriptionMode};

/// Whether `room` looks like a socket id to the dynamic mode: a string of
/// 20 characters, as Node decides it (so a public room of exactly 20
/// characters goes on the main channel too).
fn looks_like_a_socket_id(room: &str) -> bool {
    room.encode_utf16().count() == 20
}

/// The channel of room `room` in namespace channel `main`.
pub(crate) fn room_channel(main: &str, room: &str) -> String {
    format!("{main}{room}#")
}

/// Which channel `message` is published on (Node's `computeChannel`): a
/// broadcast without acks to exactly one room goes on that room's channel
/// in the dynamic modes (in `Dynamic`, unless the room looks like a socket
/// id); everything else goes on the main channel, since an acked broadcast
/// counts every server.
pub(crate) fn channel_for(mode: SubscriptionMode, main: &str, message: &ClusterMessage) -> String {
    if message.kind != MessageType::Broadcast || message.field("requestId").is_some() {
        return main.to_owned();
    }
    let rooms = message
        .field("opts")
        .and_then(|o| o.get("rooms"))
        .and_then(|r| match r {
            socketio_parser::Value::Array(items) => Some(items.as_slice()),
            _ => None,
        });
    let only = match rooms {
        Some([room]) => room,
        _ => return main.to_owned(),
    };
    // A numeric room is not a string, so never a socket id to Node.
    let (name, maybe_sid) = match only {
        socketio_parser::Value::String(s) => (s.clone(), looks_like_a_socket_id(s)),
        socketio_parser::Value::Number(n) => (n.to_string(), false),
        _ => return main.to_owned(),
    };
    let dynamic = match mode {
        SubscriptionMode::Static => false,
        SubscriptionMode::Dynamic => !maybe_sid,
        SubscriptionMode::DynamicPrivate => true,
    };
    if dynamic {
        room_channel(main, &name)
    } else {
        main.to_owned()
    }
}

/// Whether a room gets a channel of its own on this server (Node's
/// `shouldUseASeparateNamespace`): in `Dynamic`, each room that is not one
/// of this server's socket ids; in `DynamicPrivate`, every room.
pub(crate) fn subscribes_to(mode: SubscriptionMode, is_local_socket_id: bool) -> bool {
    match mode {
        SubscriptionMode::Static => false,
        SubscriptionMode::Dynamic => !is_local_socket_id,
        SubscriptionMode::DynamicPrivate => true,
    }
}

#[cfg(test)]
mod tests;

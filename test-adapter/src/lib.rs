//! A third-party Socket.IO adapter, for tests: [`RecordingAdapter`]
//! implements [`socketio_adapter::Adapter`] for a single server and writes
//! one line per call into a shared [`Log`].
//!
//! It exists to prove the layering rule of the workspace: an adapter needs
//! only the `socketio-adapter` crate (and `socketio-parser` for packets),
//! never the server. It keeps its own room membership, indexed both ways,
//! and delivers through the [`LocalSockets`](socketio_adapter::LocalSockets)
//! handle the server gives it; it does not reuse the in-memory adapter. It
//! talks to no broker: `server_count` is 1 and no session is persisted.
//!
//! Start from [`RecordingAdapter::factory`], hand the factory to the
//! server (`Server::builder().adapter(factory)`) and read the log with
//! [`Log::entries`].
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use socketio_adapter::{AdapterFactory, LocalSockets, Room, SocketId};
//! use test_adapter::RecordingAdapter;
//!
//! # struct NoSockets;
//! # impl LocalSockets for NoSockets {
//! #     fn namespace(&self) -> &str { "/" }
//! #     fn deliver(&self, _: &[SocketId], _: &socketio_parser::Packet, _: &socketio_adapter::BroadcastFlags) {}
//! #     fn deliver_with_ack(&self, _: &[SocketId], _: &socketio_parser::Packet, _: &socketio_adapter::BroadcastFlags, _: socketio_adapter::AckSender) -> usize { 0 }
//! #     fn details(&self, _: &[SocketId]) -> Vec<socketio_adapter::SocketDetails> { vec![] }
//! #     fn disconnect(&self, _: &[SocketId], _: bool) {}
//! #     fn server_side_emit(&self, _: Vec<socketio_parser::Value>, _: Option<socketio_adapter::AckSender>) {}
//! # }
//! let (factory, log) = RecordingAdapter::factory();
//! // The server creates one adapter per namespace; here we play the server.
//! let namespace: Arc<dyn LocalSockets> = Arc::new(NoSockets);
//! let adapter = factory.create(Arc::downgrade(&namespace));
//! let alice = SocketId::from("alice");
//! adapter.add_all(&alice, &[Room::from(&alice), Room::from("lobby")]);
//! assert!(adapter.socket_rooms(&alice).contains(&Room::from("lobby")));
//! assert_eq!(
//!     log.entries(),
//!     ["create /", "add_all alice [alice, lobby]", "socket_rooms alice"]
//! );
//! ```

mod adapter;
mod log;
mod rooms;

pub use adapter::RecordingAdapter;
pub use log::Log;

#[cfg(test)]
mod tests;

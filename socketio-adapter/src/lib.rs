//! The Socket.IO adapter layer: the [`Adapter`] trait (room membership,
//! broadcasts, and the requests that span a cluster: fetch sockets, make
//! them join, leave or disconnect, server-side emits, broadcasts with acks,
//! session persistence for connection state recovery) and the
//! [`InMemoryAdapter`] of a single server.
//!
//! The adapter reaches the sockets of its namespace through
//! [`LocalSockets`], which the server implements; this crate does not
//! depend on the server, so an adapter for another broker needs only this
//! crate. It sends nothing itself and parses nothing: packets are
//! [`socketio_parser::Packet`]s, encoded once by the server.
//!
//! # Example
//! ```
//! use std::collections::HashSet;
//! use std::sync::{Arc, Weak};
//! use socketio_adapter::{Adapter, InMemoryAdapter, LocalSockets, Room, SocketId};
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
//! # let namespace: Arc<dyn LocalSockets> = Arc::new(NoSockets);
//! // The server hands each namespace's adapter a weak handle on its sockets.
//! let adapter = InMemoryAdapter::new(Arc::downgrade(&namespace));
//! let alice = SocketId::from("alice");
//! adapter.add_all(&alice, &[Room::from(&alice), Room::from("lobby")]);
//! assert_eq!(
//!     adapter.sockets(&HashSet::from([Room::from("lobby")])),
//!     HashSet::from([alice.clone()])
//! );
//! adapter.del_all(&alice);
//! assert!(adapter.rooms().is_empty());
//! ```

mod ack;
mod adapter;
mod details;
mod error;
mod ids;
mod local;
mod memory;
mod options;

pub use ack::{ack_channel, AckEvent, AckReceiver, AckSender};
pub use adapter::{Adapter, AdapterFactory, RoomEvent, RoomListener};
pub use details::{Handshake, PersistedSession, RestoredSession, SocketDetails};
pub use error::Error;
pub use ids::{Room, SocketId};
pub use local::LocalSockets;
pub use memory::InMemoryAdapter;
pub use options::{BroadcastFlags, BroadcastOptions};

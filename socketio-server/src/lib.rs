//! The Socket.IO server: namespaces, sockets, rooms, broadcasts and acks,
//! with the API of Node's `socket.io` in idiomatic Rust, on top of
//! `engineio-server` (transports) and `socketio-adapter` (rooms).
//!
//! - [`Server`] is built with [`Server::builder`]; [`Server::of`] gives a
//!   [`Namespace`], whose [`Namespace::on_connection`] hands you each
//!   [`Socket`].
//! - Arguments are anything serde serializes, as a tuple of arguments;
//!   `bytes::Bytes` inside is sent as binary. Handlers get their arguments
//!   as a type of your choice.
//! - Handlers are async. What a handler does before its first `.await`
//!   happens before the client's next packet is looked at, as with Node's
//!   synchronous listeners, so order is kept.
//!
//! # Example
//! ```no_run
//! use socketio_server::{Ack, Server, Socket};
//! use socketio_parser::Value;
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = Server::builder().build();
//! io.of("/").on_connection(|socket: Socket| async move {
//!     socket.on("chat", |socket: Socket, (text,): (String,), _ack: Option<Ack>| async move {
//!         let _ = socket.broadcast().emit("chat", (text,));
//!     });
//!     socket.on("ping", |_socket: Socket, args: Vec<Value>, ack: Option<Ack>| async move {
//!         if let Some(ack) = ack {
//!             let _ = ack.send_values(args);
//!         }
//!     });
//! });
//! io.listen("127.0.0.1:3000").await?;
//! # Ok(()) }
//! ```

mod acks;
mod client;
mod dynamic;
mod error;
mod handler;
mod handshake;
mod namespace;
mod operator;
mod reason;
mod recovery;
mod remote;
mod server;
mod server_side;
mod socket;

pub use acks::{AckStream, DEFAULT_ACK_TIMEOUT};
pub use dynamic::DynamicNamespace;
pub use error::Error;
pub use handler::Ack;
pub use namespace::Namespace;
pub use operator::BroadcastOperator;
pub use reason::DisconnectReason;
pub use recovery::Recovery;
pub use regex::Regex;
pub use remote::RemoteSocket;
pub use server::{Server, ServerBuilder};
pub use server_side::ServerSideEmitter;
pub use socket::{ListenerId, Socket, SocketEmitter, TimeoutEmitter};
pub use socketio_adapter::{Handshake, Room, SocketId};
pub use socketio_parser::Value;

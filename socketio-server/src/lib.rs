//! The Socket.IO server: namespaces, sockets, rooms, broadcasts and acks,
//! with the API of Node's `socket.io` in idiomatic Rust. It sits on top of
//! `engineio-server` (transports, sessions, heartbeats) and
//! `socketio-adapter` (rooms and broadcasts, in memory or across servers).
//!
//! - [`Server`] is built with [`Server::builder`]; [`Server::on_connection`]
//!   (or [`Server::of`] for other namespaces) hands you each [`Socket`].
//! - Handlers are async functions or closures whose parameters are
//!   extractors, in any order (see [`extract`]): the [`Socket`],
//!   [`Data<T>`] for the arguments (any serde type), [`AckSender`] to
//!   answer, [`State<S>`] for application state, [`Event`] for the name.
//!   Arguments that do not fit a handler never vanish: the socket's error
//!   handlers hear [`Error::InvalidData`], and it is logged at WARN.
//! - Emitting, a tuple is several arguments and any other value one:
//!   `emit("e", (1, "a"))` is Node's `emit("e", 1, "a")`, and
//!   `emit("e", vec![1, 2])` is `emit("e", [1, 2])`. `bytes::Bytes` inside
//!   goes as binary.
//! - What a handler does before its first `.await` happens before the
//!   client's next packet is looked at, as with Node's synchronous
//!   listeners, so order is kept.
//!
//! # Example
//!
//! A chat server on port 3000 that runs until Ctrl-C:
//!
//! ```no_run
//! use socketio_server::{AckSender, Data, Server, Socket};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let io = Server::builder().build();
//!     io.on_connection(|socket: Socket| async move {
//!         socket.on("join", |socket: Socket, Data(room): Data<String>| async move {
//!             socket.join([room]);
//!         });
//!         socket.on("say", |socket: Socket, Data((room, text)): Data<(String, String)>| async move {
//!             let _ = socket.to(room).emit("said", (socket.id().as_str(), text));
//!         });
//!         socket.on("whoami", |socket: Socket, ack: AckSender| async move {
//!             let _ = ack.send(socket.id().as_str());
//!         });
//!     });
//!     let addr = io.listen("127.0.0.1:3000").await?;
//!     println!("listening on http://{addr}");
//!     tokio::signal::ctrl_c().await?;
//!     io.close().await;
//!     Ok(())
//! }
//! ```

mod acks;
mod admin;
mod args;
mod builder;
mod client;
mod dynamic;
mod error;
pub mod extract;
mod handler;
mod handshake;
mod metrics;
mod namespace;
mod operator;
mod reason;
mod recovery;
mod remote;
mod serve_client;
mod server;
mod server_side;
mod socket;
mod tower;

pub use acks::{AckStream, DEFAULT_ACK_TIMEOUT};
pub use admin::{AdminAuth, AdminMode, AdminUi};
pub use args::Args;
pub use builder::ServerBuilder;
pub use client::Client;
pub use dynamic::DynamicNamespace;
#[cfg(feature = "tls")]
pub use engineio_server::TlsConfig;
pub use error::Error;
pub use extract::{Data, Event, State, TryData};
pub use handler::{AckSender, Handler};
pub use namespace::Namespace;
pub use operator::BroadcastOperator;
pub use prometheus_client;
pub use reason::DisconnectReason;
pub use recovery::Recovery;
pub use regex::Regex;
pub use remote::{RemoteSocket, RemoteTimeout};
pub use serve_client::ClientBundle;
pub use server::{ClientConnection, EngineHandler, Server};
pub use server_side::ServerSideEmitter;
pub use socket::{ListenerId, Socket, SocketEmitter, TimeoutEmitter};
pub use socketio_adapter::{Handshake, Room, SocketId};
pub use socketio_parser::Value;
pub use tower::{SocketIoLayer, SocketIoService};

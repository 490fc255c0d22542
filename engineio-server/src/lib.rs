//! The Engine.IO server layer: HTTP long-polling and WebSocket transports,
//! sessions, heartbeats and upgrades, on tokio and hyper. It knows nothing
//! of Socket.IO.
//!
//! - [`Session`] is one session's Sans-IO state machine (handshake,
//!   heartbeats in protocol v3 and v4, the upgrade from polling, a bounded
//!   outgoing buffer, graceful close). It is given the time and never reads
//!   a clock.
//! - [`Server`] is the thin driver: a hyper service (mount it next to other
//!   routes, or run it alone with [`Server::listen`]) that checks requests
//!   as the protocol asks, runs each session's timers in a small task and
//!   hands events to your [`Handler`].
//! - [`Config`] holds every option, with builder methods.
//!
//! # Example
//! ```no_run
//! use engineio_server::{CloseReason, Config, Connection, Handler, Message, Server, Socket};
//!
//! /// Sends every message back to its sender.
//! struct Echo;
//! struct EchoConnection(Socket);
//!
//! impl Handler for Echo {
//!     type Connection = EchoConnection;
//!     fn on_connect(&self, socket: Socket) -> EchoConnection {
//!         EchoConnection(socket)
//!     }
//! }
//!
//! impl Connection for EchoConnection {
//!     fn on_message(&mut self, message: Message) {
//!         let _ = self.0.send(message);
//!     }
//!     fn on_close(&mut self, reason: CloseReason) {
//!         println!("{} closed: {reason}", self.0.sid());
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = Server::new(Config::default().allow_eio3(true), Echo);
//!     let addr = server.listen("127.0.0.1:3000").await?;
//!     println!("engine.io on http://{addr}/engine.io/");
//!     tokio::signal::ctrl_c().await?;
//!     server.close().await;
//!     Ok(())
//! }
//! ```
//!
//! WebSocket permessage-deflate is not offered: tungstenite does not
//! implement it. Polling responses are compressed (gzip or deflate).

mod clock;
mod close;
mod config;
mod cors;
mod error;
mod handler;
mod message;
mod response;
mod server;
mod session;
mod sid;
mod signal;
mod socket;
mod stats;
#[cfg(feature = "tls")]
mod tls;

pub use close::CloseReason;
pub use config::{Config, ConnectionError, Cookie, Refusal, RequestHead, SameSite};
pub use cors::{AllowOrigin, AsyncOriginCheck, Cors};
pub use engineio_protocol::{Message, ProtocolVersion, Transport};
pub use error::Error;
pub use handler::{Connection, Handler};
pub use message::{Frame, OutgoingMessage};
pub use response::ResponseBody;
pub use server::{RemoteAddr, Server};
pub use session::{
    Event, GetAnswer, Overlap, PendingGet, Session, SessionConfig, Timer, Transmit, CLOSE_GRACE,
    UPGRADE_CHECK,
};
pub use sid::Sid;
pub use socket::{RequestInfo, Socket};
pub use stats::{EngineStats, TrafficStats};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

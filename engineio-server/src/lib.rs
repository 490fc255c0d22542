//! The Engine.IO server layer: sessions, heartbeats and upgrades, and (to
//! come) the HTTP long-polling and WebSocket transports on tokio and hyper.
//!
//! Built so far: the Sans-IO core. [`Session`] is one session's state
//! machine (handshake, heartbeats in both protocol versions, the upgrade
//! from polling to WebSocket, a bounded outgoing buffer, graceful close);
//! it is given the time and never reads a clock, so its timeouts are tested
//! by stepping time. **Not built yet:** the hyper service and the transport
//! drivers that run sessions over real connections. This crate knows
//! nothing of Socket.IO.
//!
//! # Example
//! ```
//! use std::time::{Duration, Instant};
//! use engineio_protocol::{Packet, ProtocolVersion, Transport};
//! use engineio_server::{CloseReason, Event, Session, SessionConfig, Sid};
//!
//! let t0 = Instant::now();
//! let config = SessionConfig::default();
//! let mut session = Session::new(Sid::generate()?, ProtocolVersion::V4, Transport::Websocket, config, t0);
//! assert!(matches!(session.poll_transmit(Transport::Websocket), Some(Packet::Open(_))));
//!
//! // 25 s later the server pings; a client that never answers is gone 20 s after.
//! session.handle_timeout(t0 + Duration::from_secs(25));
//! assert!(matches!(session.poll_transmit(Transport::Websocket), Some(Packet::Ping(_))));
//! session.handle_timeout(t0 + Duration::from_secs(45));
//! assert_eq!(session.poll_event(), Some(Event::Closed(CloseReason::PingTimeout)));
//! # Ok::<(), engineio_server::Error>(())
//! ```

mod close;
mod error;
mod session;
mod sid;

pub use close::CloseReason;
pub use error::Error;
pub use session::{Event, Session, SessionConfig, Timer};
pub use sid::Sid;

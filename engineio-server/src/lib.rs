//! The Engine.IO server layer: HTTP long-polling and WebSocket transports,
//! the upgrade between them, sessions keyed by sid, heartbeats and limits,
//! on tokio and hyper.
//!
//! **Not built yet.** This crate has no API today; it will drive the Sans-IO
//! codec in `engineio-protocol` and knows nothing of Socket.IO.

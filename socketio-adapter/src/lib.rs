//! The Socket.IO adapter layer: the `Adapter` trait (rooms, broadcasts,
//! cluster-wide requests) and the in-memory adapter.
//!
//! **Not built yet.** This crate has no API today. It will not depend on
//! `socketio-server`, so that a third-party adapter needs only this crate.

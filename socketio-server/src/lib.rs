//! The Socket.IO server: `Server`, namespaces, sockets, rooms, acks and
//! middleware, with the API of Node's `socket.io` in idiomatic Rust.
//!
//! **Not built yet.** This crate has no API today; today the workspace
//! offers the codecs `engineio-protocol` and `socketio-parser`.

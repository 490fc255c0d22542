//! Runnable examples of the socketio-rs crates; this library is empty.
//!
//! Run one with `cargo run -p examples --example NAME`; the examples live in
//! `examples/examples/`.

//! The load benchmark: a load generator speaking Engine.IO v4 and
//! Socket.IO v5 over WebSocket and long-polling, the scenarios it runs, and
//! the report that compares servers.
//!
//! This crate sits outside the server's layers: it is a client of any
//! Socket.IO server that answers the bench protocol of
//! `examples/bench_server` (`echo`, `echo_ack`, `broadcast` on `/`). The
//! binary `loadgen` runs the scenarios against servers it starts itself, each
//! pinned to one core, and reads their CPU time and memory from `/proc`;
//! `relay` is the floor they are compared with, a bare tokio-tungstenite
//! server that does only what the scenarios need. `bench/run.sh` is the one
//! command that runs the whole comparison.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> bench::Result<()> {
//! use bench::{scenario, Probe};
//! use socketio_server::{Server, Socket};
//!
//! // The bench server, here in this process (`bench/run.sh` starts each
//! // server in its own process, pinned to a core of its own).
//! let io = Server::builder().build();
//! io.on_connection(|socket: Socket| async move { examples::bench_connection(socket) });
//! let addr = io.listen("127.0.0.1:0").await?;
//!
//! let probe = Probe::of(std::process::id());
//! let measured = scenario::echo(addr, &probe, 5, 100, false).await?;
//! assert_eq!(measured.ops, 500);
//! println!("{:.2} µs of CPU per echo", measured.cpu_us_per_op());
//! # Ok(()) }
//! ```

pub mod client;
pub mod probe;
pub mod process;
pub mod report;
pub mod scenario;

pub use probe::Probe;

/// Every failure of a run: a payload that came back wrong, a broadcast out
/// of order, a server that stopped answering. The run fails on the first.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The result of a benchmark step.
pub type Result<T> = std::result::Result<T, Error>;

/// Fails with `message`.
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(message.into().into())
}

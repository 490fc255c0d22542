//! Runnable examples of the socketio-rs crates, and the handlers they
//! share with the tests.
//!
//! Run one with `cargo run -p examples --example NAME`; the examples live in
//! `examples/examples/`.

pub mod cluster;

use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use socketio_parser::Value;
use socketio_server::{AckSender, AdminAuth, AdminUi, Args, Data, Server, Socket};

/// The admin UI for a demo: `io` speaks the protocol of
/// `@socket.io/admin-ui` (user `admin`, the password in `ADMIN_PASSWORD`,
/// `changeit` if unset), and the returned router serves the UI's built
/// files (the npm package's `ui/dist`, from `ADMIN_UI`, or else
/// `node_modules/@socket.io/admin-ui/ui/dist`) under `/admin-ui/`. `None`
/// when those files are not there.
///
/// # Errors
///
/// When the password cannot be hashed or `io` is instrumented already.
pub fn admin_ui(io: &Server) -> Result<Option<Router>, Box<dyn std::error::Error>> {
    let dir = std::env::var("ADMIN_UI")
        .unwrap_or_else(|_| "node_modules/@socket.io/admin-ui/ui/dist".to_owned());
    if !std::path::Path::new(&dir).join("index.html").is_file() {
        tracing::info!(%dir, "no admin UI files: the admin UI is off");
        return Ok(None);
    }
    let password = std::env::var("ADMIN_PASSWORD").unwrap_or_else(|_| "changeit".to_owned());
    let hash = bcrypt::hash(password, bcrypt::DEFAULT_COST)?;
    io.instrument(AdminUi::new(AdminAuth::basic("admin", hash)))?;
    let files = tower_http::services::ServeDir::new(dir);
    // The UI's links are relative: it must be asked for as a directory.
    let to_dir = || async { axum::response::Redirect::permanent("/admin-ui/") };
    Ok(Some(
        Router::new()
            .route("/admin-ui", get(to_dir))
            .nest_service("/admin-ui/", files),
    ))
}

/// Logs as `RUST_LOG` asks (e.g. `RUST_LOG=engineio_server=debug`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
}

/// Where the example running in this process listens (see [`listening`]),
/// and the signal that it does.
static LISTENING: (Mutex<Option<SocketAddr>>, Condvar) = (Mutex::new(None), Condvar::new());

/// Prints where an example listens (`<what> on http://<addr>`), and keeps
/// the address for a test that runs the example in its own process.
pub fn listening(what: &str, addr: SocketAddr) {
    println!("{what} on http://{addr}");
    *LISTENING.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(addr);
    LISTENING.1.notify_all();
}

/// The address the example running in this process listens on, once it
/// does.
pub fn listening_addr() -> Option<SocketAddr> {
    *LISTENING.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs an example's `main` on a thread of its own with `PORT=0` (any free
/// port), and returns the address it listens on, once it says so: for
/// tests that run an example as written.
///
/// # Panics
///
/// Panics when the example has not listened after five seconds.
pub fn run_in_background(main: fn() -> Result<(), Box<dyn std::error::Error>>) -> SocketAddr {
    std::env::set_var("PORT", "0");
    std::thread::spawn(move || {
        if let Err(e) = main() {
            eprintln!("the example failed: {e}");
        }
    });
    let address = LISTENING.0.lock().unwrap_or_else(PoisonError::into_inner);
    let (address, _) = LISTENING
        .1
        .wait_timeout_while(address, std::time::Duration::from_secs(5), |a| a.is_none())
        .unwrap_or_else(PoisonError::into_inner);
    address.expect("the example listens within 5 s")
}

/// Serves `app` (with `io` in it) on 127.0.0.1:$PORT until Ctrl-C, with
/// each client's address, then closes `io`.
pub async fn serve(app: Router, io: &Server, what: &str) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port())).await?;
    listening(what, listener.local_addr()?);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    io.close().await;
    Ok(())
}

/// The port to listen on: `PORT` from the environment, or 3000.
pub fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000)
}

/// The behaviour of `examples/conformance.rs` on each new socket, shared
/// with the interop tests:
///
/// - the socket emits `auth` with the handshake's auth payload;
/// - `message` is echoed to the sender as `message-back`, same arguments;
/// - `message-with-ack` is acknowledged with the same arguments;
/// - `join` (room) joins that room;
/// - `to-room` (room, ...args) emits `message-back` with args to the room,
///   the sender left out;
/// - `broadcast` (...args) emits `message-back` with args to every socket of
///   the namespace.
pub fn conformance_connection(socket: Socket) {
    let _ = socket.emit("auth", socket.handshake().auth.clone());
    socket.on(
        "message",
        |socket: Socket, Data(args): Data<Vec<Value>>| async move {
            let _ = socket.emit("message-back", Args(args));
        },
    );
    socket.on(
        "message-with-ack",
        |Data(args): Data<Vec<Value>>, ack: AckSender| async move {
            let _ = ack.send(Args(args));
        },
    );
    socket.on(
        "join",
        |socket: Socket, Data(room): Data<String>| async move {
            socket.join([room]);
        },
    );
    socket.on(
        "to-room",
        |socket: Socket, Data(mut args): Data<Vec<Value>>| async move {
            if args.is_empty() {
                return;
            }
            if let Value::String(room) = args.remove(0) {
                let _ = socket.to(room).emit("message-back", Args(args));
            }
        },
    );
    socket.on(
        "broadcast",
        |socket: Socket, Data(args): Data<Vec<Value>>| async move {
            let _ = socket.namespace().emit("message-back", Args(args));
        },
    );
}

/// The behaviour of `examples/bench_server.rs` on each new socket, shared
/// with its test:
///
/// - `echo` (data) emits `echo` (data) back to the sender;
/// - `echo_ack` (data) answers the ack with (data);
/// - `broadcast` (data) emits `broadcast` (data) to every socket of the
///   namespace, the sender included.
pub fn bench_connection(socket: Socket) {
    socket.on(
        "echo",
        |socket: Socket, Data(data): Data<Value>| async move {
            let _ = socket.emit("echo", data);
        },
    );
    socket.on(
        "echo_ack",
        |Data(data): Data<Value>, ack: AckSender| async move {
            let _ = ack.send(data);
        },
    );
    socket.on(
        "broadcast",
        |socket: Socket, Data(data): Data<Value>| async move {
            let _ = socket.namespace().emit("broadcast", data);
        },
    );
}

/// The socket.io side of `examples/axum.rs`, shared with its test: each
/// socket of `/` may `join` (room) a room.
pub fn rooms_sockets(io: &Server) {
    io.on_connection(|socket: Socket| async move {
        tracing::info!(address = %socket.handshake().address, "connected");
        socket.on(
            "join",
            |socket: Socket, Data(room): Data<String>| async move {
                socket.join([room]);
            },
        );
    });
}

/// The REST routes of `examples/axum.rs`, shared with its test:
///
/// - `GET /rooms/{room}`: how many sockets of `/` are in the room;
/// - `POST /rooms/{room}/announce` with a text body: emits `announcement`
///   (the text) to the room, and answers how many sockets it reached.
pub fn rooms_api(io: &Server) -> Router {
    async fn size(State(io): State<Server>, Path(room): Path<String>) -> Json<usize> {
        Json(io.to(room).all_sockets().len())
    }
    async fn announce(
        State(io): State<Server>,
        Path(room): Path<String>,
        text: String,
    ) -> Json<usize> {
        let reached = io.to(room.as_str()).all_sockets().len();
        let _ = io.to(room).emit("announcement", text);
        Json(reached)
    }
    Router::new()
        .route("/rooms/{room}", get(size))
        .route("/rooms/{room}/announce", post(announce))
        .with_state(io.clone())
}

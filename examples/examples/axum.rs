//! Socket.IO beside a REST API in one axum app.
//!
//! Run it with `cargo run -p examples --example axum`; it listens on
//! 127.0.0.1:$PORT (default 3000):
//!
//! - socket.io clients connect at `/socket.io/` and `join` rooms;
//! - `GET /rooms/{room}` answers how many sockets are in the room;
//! - `POST /rooms/{room}/announce` with a text body emits `announcement`
//!   (the text) to the room and answers how many sockets it reached.
//!
//! The socket.io server is a layer in front of the router, and takes each
//! client's address from axum's `ConnectInfo`.

use socketio_server::Server;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let io = Server::builder().build();
    examples::rooms_sockets(&io);
    let app = examples::rooms_api(&io).layer(io.layer());
    examples::serve(app, &io, "axum with socket.io").await?;
    Ok(())
}

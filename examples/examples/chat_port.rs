//! A small Node socket.io chat app, ported (see the README): `/` and `/chat`
//! refuse clients without `auth.token`; `join`, `say` to a room but the
//! sender, `whoami` by ack; a counter shared with `GET /stats`; a page at `/`.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use axum::{extract::State as Ext, response::Html, routing::get, Json, Router};
use serde::Deserialize;
use socketio_server::{AckSender, ClientBundle, Data, Error, Server, Socket, State};

const PAGE: &str = include_str!("../static/chat_port.html");
#[derive(Clone, Default)]
struct Count(Arc<AtomicU64>);
#[derive(Deserialize)]
struct Auth {
    token: Option<String>,
}
#[derive(Deserialize)]
struct Say {
    room: String,
    text: String,
}

async fn check(Data(auth): Data<Auth>) -> Result<(), Error> {
    auth.token.map(drop).ok_or(Error::refused("no token"))
}
async fn join(socket: Socket, Data(room): Data<String>) {
    socket.join([room]);
}
async fn say(socket: Socket, Data(say): Data<Say>, State(count): State<Count>) {
    let n = count.0.fetch_add(1, Relaxed) + 1;
    let from = socket.id().as_str();
    let _ = socket.to(say.room).emit("said", (from, say.text, n));
}
async fn whoami(socket: Socket, ack: AckSender) {
    let _ = ack.send(socket.id().as_str());
}
async fn on_connection(socket: Socket) {
    socket.on("join", join);
    socket.on("say", say);
    socket.on("whoami", whoami);
}

#[tokio::main]
pub(crate) async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = Count::default();
    let mut io = Server::builder().with_state(count.clone());
    if let Ok(dir) = std::env::var("SIO_CLIENT") {
        io = io.serve_client(ClientBundle::from_package_dir(dir)?);
    }
    let io = io.build();
    for nsp in ["/", "/chat"] {
        io.of(nsp).middleware(check);
        io.of(nsp).on_connection(on_connection);
    }
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route(
            "/stats",
            get(|Ext(c): Ext<Count>| async move { Json(c.0.load(Relaxed)) }),
        )
        .with_state(count)
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", examples::port())).await?;
    examples::listening("chat", listener.local_addr()?);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    Ok(axum::serve(listener, service).await?)
}

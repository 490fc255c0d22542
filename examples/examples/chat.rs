//! The demo: a multi-room chat that a browser can use.
//!
//! `./scripts/demo.sh` installs the pinned socket.io-client browser bundle
//! and runs this on http://127.0.0.1:$PORT (default 3000). Open it in two
//! tabs: pick a nickname, join a room, talk. Each room keeps its last 50
//! messages and shows who is in it and who is typing; system lines say who
//! comes and goes.
//!
//! Events (client → server): `join` (room) with an ack answering the
//! room's history and users, `leave` (room), `message` (room, text),
//! `typing` (room, bool). Server → client: `message` ({room, from, text,
//! time}), `system` ({room, text}), `users` ({room, users}), `typing`
//! ({room, from, typing}). The nickname comes in the auth payload.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::{response::Html, routing::get, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use socketio_server::{AckSender, ClientBundle, Data, DisconnectReason, Server, Socket, State};

/// How many messages a room keeps.
const HISTORY: usize = 50;

/// The last messages of each room.
#[derive(Clone, Default)]
struct Rooms(Arc<Mutex<HashMap<String, VecDeque<serde_json::Value>>>>);

impl Rooms {
    fn history(&self, room: &str) -> Vec<serde_json::Value> {
        let rooms = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rooms
            .get(room)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn keep(&self, room: &str, message: serde_json::Value) {
        let mut rooms = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let history = rooms.entry(room.to_owned()).or_default();
        history.push_back(message);
        while history.len() > HISTORY {
            history.pop_front();
        }
    }
}

#[derive(Deserialize)]
struct Auth {
    nickname: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Nick(String);

fn nick(socket: &Socket) -> String {
    socket.data::<Nick>().map(|n| n.0).unwrap_or_default()
}

/// The nicknames of the room's sockets, sorted.
async fn users(io: &Server, room: &str) -> Vec<String> {
    let sockets = io.within(room).fetch_sockets().await.unwrap_or_default();
    let mut names: Vec<String> = sockets
        .iter()
        .filter_map(|s| s.data::<Nick>().ok().map(|n| n.0))
        .collect();
    names.sort();
    names
}

/// Tells the room who is in it now, with a system line.
async fn announce(io: &Server, room: &str, text: String) {
    let _ = io
        .within(room)
        .emit("system", json!({ "room": room, "text": text }));
    let _ = io.within(room).emit(
        "users",
        json!({ "room": room, "users": users(io, room).await }),
    );
}

async fn join(io: Server, socket: Socket, room: String, ack: AckSender, rooms: Rooms) {
    socket.join([room.as_str()]);
    tracing::info!(nickname = %nick(&socket), %room, "joined a room");
    let _ = ack.send(json!({ "history": rooms.history(&room), "users": users(&io, &room).await }));
    announce(&io, &room, format!("{} joined", nick(&socket))).await;
}

fn on_connection(io: Server) -> impl Fn(Socket, Data<Auth>) -> std::future::Ready<()> + Clone {
    move |socket: Socket, Data(auth): Data<Auth>| {
        let name = auth.nickname.filter(|n| !n.trim().is_empty());
        let name = name.unwrap_or_else(|| format!("guest-{}", &socket.id().as_str()[..4]));
        tracing::info!(id = %socket.id(), nickname = %name, address = %socket.handshake().address, "connected");
        socket.set_data(Nick(name));
        let io2 = io.clone();
        socket.on(
            "join",
            move |s: Socket,
                  Data(room): Data<String>,
                  ack: AckSender,
                  State(rooms): State<Rooms>| {
                join(io2.clone(), s, room, ack, rooms)
            },
        );
        let io2 = io.clone();
        socket.on("leave", move |s: Socket, Data(room): Data<String>| {
            let io = io2.clone();
            async move {
                s.leave(room.as_str());
                tracing::info!(nickname = %nick(&s), %room, "left a room");
                announce(&io, &room, format!("{} left", nick(&s))).await;
            }
        });
        socket.on("message", |s: Socket, Data((room, text)): Data<(String, String)>, State(rooms): State<Rooms>| async move {
            if !s.rooms().contains(room.as_str()) {
                return;
            }
            let time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
            let message = json!({ "room": room, "from": nick(&s), "text": text, "time": time });
            rooms.keep(&room, message.clone());
            // To everyone in the room, the sender included.
            let _ = s.namespace().within(room.as_str()).emit("message", message);
        });
        socket.on(
            "typing",
            |s: Socket, Data((room, typing)): Data<(String, bool)>| async move {
                let _ = s.to(room.as_str()).emit(
                    "typing",
                    json!({ "room": room, "from": nick(&s), "typing": typing }),
                );
            },
        );
        let io2 = io.clone();
        socket.on_disconnecting(move |s: Socket, reason: DisconnectReason| {
            let io = io2.clone();
            async move {
                let name = nick(&s);
                tracing::info!(id = %s.id(), nickname = %name, %reason, "disconnected");
                let rooms: Vec<String> = s
                    .rooms()
                    .into_iter()
                    .map(|r| r.to_string())
                    .filter(|r| r != s.id().as_str())
                    .collect();
                s.leave_all(rooms.iter().map(String::as_str));
                for room in rooms {
                    announce(&io, &room, format!("{name} left")).await;
                }
            }
        });
        std::future::ready(())
    }
}

#[tokio::main]
pub(crate) async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let mut builder = Server::builder()
        .with_state(Rooms::default())
        .metrics_path("/metrics");
    if let Ok(dir) = std::env::var("SIO_CLIENT") {
        builder = builder.serve_client(ClientBundle::from_package_dir(dir)?);
    }
    let io = builder.build();
    if io.client_bundle().is_none() {
        return Err("no socket.io-client bundle: run ./scripts/demo.sh, or set SIO_CLIENT".into());
    }
    io.on_connection(on_connection(io.clone()));
    let admin = examples::admin_ui(&io)?;
    let mut app = Router::new().route(
        "/",
        get(|| async { Html(include_str!("../static/chat.html")) }),
    );
    if let Some(admin) = admin {
        app = app.merge(admin);
        println!(
            "the admin UI is at /admin-ui/ (user admin, password $ADMIN_PASSWORD or changeit)"
        );
    }
    let app = app.layer(io.layer());
    println!("open it in two browser tabs (Prometheus metrics at /metrics); Ctrl-C stops it");
    examples::serve(app, &io, "chat demo").await?;
    Ok(())
}

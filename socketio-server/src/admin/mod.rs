//! The server side of `@socket.io/admin-ui` 0.5: the admin namespace the
//! official UI connects to, its authentication, the events it listens to
//! and the operations it asks for (Node's `instrument(io, options)`).
//!
//! The UI connects to `/admin` (by default) and hears, from every server
//! of the cluster: `session` (after a login), `config` (the features it
//! may use), `all_sockets`, `server_stats` every two seconds (the engine's
//! traffic of the last seconds included), and, in development mode, each
//! socket connected, updated and disconnected, each room joined and left,
//! each event received and sent. It asks for `emit`, `join`, `leave` and
//! `_disconnect` unless the instrumentation is read-only.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socketio_adapter::RoomEvent;
use socketio_parser::{JsDate, Value};

mod operations;
mod stats;

use crate::server::ServerInner;
use crate::{Args, DisconnectReason, Error, Namespace, RemoteSocket, Server, Socket, SocketId};
use stats::{emit_stats, BaseStats};

/// How an admin UI proves who it is.
#[derive(Debug, Clone)]
pub enum AdminAuth {
    /// Anyone who reaches the admin namespace may use it: only behind a
    /// network boundary of your own.
    None,
    /// A username and a bcrypt hash of the password (as Node's
    /// `auth: { type: "basic", username, password }`).
    Basic {
        /// The username the UI must send.
        username: String,
        /// The bcrypt hash (`$2a$`, `$2b$` or `$2y$`) of the password.
        password_hash: String,
    },
}

impl AdminAuth {
    /// Basic authentication with `username` and the bcrypt hash of the
    /// password.
    pub fn basic(username: impl Into<String>, password_hash: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password_hash: password_hash.into(),
        }
    }
}

/// How much the admin UI is told: every event (development), or only the
/// aggregated counts in `server_stats` (production, cheaper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminMode {
    /// Sockets, rooms and events one by one, and the aggregated counts.
    #[default]
    Development,
    /// Only the aggregated counts.
    Production,
}

/// The options of [`Server::instrument`] (Node's `instrument(io, opts)`),
/// with Node's defaults: namespace `/admin`, not read-only, the host's name
/// as server id, development mode.
///
/// ```
/// use socketio_server::{AdminAuth, AdminUi, Server};
/// # fn main() -> Result<(), socketio_server::Error> {
/// let io = Server::builder().build();
/// // The hash of "changeit" (`bcrypt.hashSync("changeit", 10)` in Node).
/// let hash = "$2a$10$yAASnQ4GzjESvc4hiK1wwObYj/bNE1hT7brcs1VXRmXnVodrilMRy";
/// io.instrument(AdminUi::new(AdminAuth::basic("admin", hash)).readonly(true))?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AdminUi {
    namespace: String,
    auth: AdminAuth,
    readonly: bool,
    server_id: Option<String>,
    mode: AdminMode,
}

impl AdminUi {
    /// The admin UI's protocol with this authentication (Node makes the
    /// choice mandatory too).
    pub fn new(auth: AdminAuth) -> Self {
        Self {
            namespace: "/admin".to_owned(),
            auth,
            readonly: false,
            server_id: None,
            mode: AdminMode::Development,
        }
    }

    /// The namespace the UI connects to (`/admin`).
    pub fn namespace(mut self, name: impl Into<String>) -> Self {
        self.namespace = name.into();
        self
    }

    /// Whether the UI may only watch: no emit, join, leave or disconnect
    /// (false).
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// The id this server shows in the UI (the host's name).
    pub fn server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = Some(id.into());
        self
    }

    /// Development (every event) or production (aggregated counts only).
    pub fn mode(mut self, mode: AdminMode) -> Self {
        self.mode = mode;
        self
    }

    fn features(&self) -> Vec<&'static str> {
        let mut features = if self.readonly {
            Vec::new()
        } else {
            vec![
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]
        };
        features.push("AGGREGATED_EVENTS");
        if self.mode == AdminMode::Development {
            features.push("ALL_EVENTS");
        }
        features
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running instrumentation of a server.
pub(crate) struct Instrument {
    admin: Namespace,
    verbose: bool,
    /// Session ids given to UIs that logged in (Node's in-memory store).
    sessions: Mutex<HashSet<String>>,
    /// Session ids to send to sockets that logged in and are joining.
    pending_sessions: Mutex<HashMap<SocketId, (String, Instant)>>,
    /// Aggregated events since the last `server_stats`.
    aggregated: Mutex<Vec<Value>>,
    stats_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The server closed: the stats task must not start again.
    stopped: std::sync::atomic::AtomicBool,
    /// Password checks running at once (bcrypt is slow on purpose).
    checks: tokio::sync::Semaphore,
}

impl Server {
    /// Speaks the protocol of the official admin UI (`@socket.io/admin-ui`
    /// 0.5) on a namespace of this server (Node's `instrument(io, opts)`).
    /// Call it once, before clients connect; a second call fails.
    ///
    /// Fails with [`Error::InvalidAdminConfig`] when the password hash is
    /// not a bcrypt hash or the server is already instrumented.
    pub fn instrument(&self, options: AdminUi) -> Result<(), Error> {
        if let AdminAuth::Basic { password_hash, .. } = &options.auth {
            if password_hash.parse::<bcrypt::HashParts>().is_err() {
                return Err(Error::InvalidAdminConfig(
                    "the password must be a bcrypt hash".to_owned(),
                ));
            }
        }
        let admin = self.of(&options.namespace);
        let instrument = Arc::new(Instrument {
            admin: admin.clone(),
            verbose: options.mode == AdminMode::Development,
            sessions: Mutex::default(),
            pending_sessions: Mutex::default(),
            aggregated: Mutex::default(),
            stats_task: Mutex::default(),
            stopped: std::sync::atomic::AtomicBool::new(false),
            checks: tokio::sync::Semaphore::new(2),
        });
        if !self.inner().set_instrument(instrument.clone()) {
            return Err(Error::InvalidAdminConfig(
                "the server is already instrumented".to_owned(),
            ));
        }
        if let AdminAuth::Basic {
            username,
            password_hash,
        } = options.auth.clone()
        {
            authenticate(&admin, &instrument, username, password_hash);
        } else {
            tracing::warn!("the admin UI's namespace has no authentication");
        }
        let features = options.features();
        let readonly = options.readonly;
        let weak_io = Arc::downgrade(self.inner());
        // Weak: the admin namespace holds this handler, and the
        // instrumentation holds the namespace.
        let on_admin = Arc::downgrade(&instrument);
        let base = Arc::new(BaseStats::new(options.server_id));
        let stats_base = base.clone();
        admin.on_connection(move |socket: Socket| {
            let (instrument, io, features, base) = (
                on_admin.clone(),
                weak_io.clone(),
                features.clone(),
                stats_base.clone(),
            );
            async move {
                let (Some(io), Some(instrument)) =
                    (io.upgrade().map(Self::from_inner), instrument.upgrade())
                else {
                    return;
                };
                instrument.start_stats(Arc::downgrade(io.inner()), base.clone());
                let pending = lock(&instrument.pending_sessions).remove(socket.id());
                if let Some((session, _)) = pending {
                    let _ = socket.emit("session", (session,));
                }
                if !readonly {
                    operations::register(&io, &socket);
                }
                let _ = socket.emit(
                    "config",
                    serde_json::json!({ "supportedFeatures": features }),
                );
                let _ = socket.emit("server_stats", (base.stats(&io, Vec::new()),));
                if instrument.verbose {
                    let _ = socket.emit("all_sockets", (all_sockets(&io).await,));
                }
            }
        });
        instrument.start_stats(Arc::downgrade(self.inner()), base);
        Ok(())
    }
}

/// Node's basic authentication: a session id the UI got earlier, or the
/// username and a password matching the hash (which earns a new session
/// id, sent as `session` once the socket joins).
fn authenticate(admin: &Namespace, instrument: &Arc<Instrument>, username: String, hash: String) {
    let instrument = Arc::downgrade(instrument);
    let credentials = Arc::new((username, hash));
    admin.middleware(move |socket: Socket| {
        let (instrument, credentials) = (instrument.clone(), credentials.clone());
        async move {
            let refused = || Error::Refused {
                message: "invalid credentials".to_owned(),
                data: None,
            };
            let instrument = instrument.upgrade().ok_or_else(refused)?;
            let auth = &socket.handshake().auth;
            let field = |name: &str| auth.get(name).and_then(Value::as_str).map(str::to_owned);
            if let Some(session) = field("sessionId") {
                if lock(&instrument.sessions).contains(&session) {
                    return Ok(());
                }
            }
            let (username, hash) = &*credentials;
            if field("username").as_deref() != Some(username.as_str()) {
                return Err(refused());
            }
            let password = field("password").unwrap_or_default();
            let hash = hash.clone();
            // bcrypt is slow on purpose: off the runtime's threads, two at
            // a time at most, whoever asks.
            let permit = instrument.checks.acquire().await.map_err(|_| refused())?;
            let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(false);
            drop(permit);
            if !matches {
                return Err(refused());
            }
            let session = engineio_server::Sid::generate()
                .map_err(|_| refused())?
                .as_str()
                .to_owned();
            lock(&instrument.sessions).insert(session.clone());
            let mut pending = lock(&instrument.pending_sessions);
            // A socket refused later (another middleware, a lost connection)
            // never takes its id: forget those after a minute.
            let now = Instant::now();
            pending.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(60));
            pending.insert(socket.id().clone(), (session, now));
            Ok(())
        }
    });
}

/// Every socket of the cluster, in every namespace, as the UI shows them.
async fn all_sockets(io: &Server) -> Value {
    let mut all = Vec::new();
    for ns in io.inner().namespace_list() {
        match ns.fetch_sockets().await {
            Ok(sockets) => all.extend(sockets.iter().map(|s| serialize_remote(&ns, s))),
            Err(e) => {
                tracing::debug!(nsp = %ns.name(), error = %e, "sockets not fetched for the admin UI")
            }
        }
    }
    Value::Array(all)
}

/// The id and transport of a socket's connection, as the UI shows them.
fn connection(socket: &Socket) -> (String, String) {
    let conn = socket.conn();
    let client_id: String = conn.sid().as_str().chars().take(12).collect();
    (client_id, conn.transport().as_str().to_owned())
}

/// Adds `_admin: {clientId, transport}` to a socket's data for other
/// servers' admin UIs (Node keeps it in `socket.data`); data that is not an
/// object (or unset) is left as it is.
pub(crate) fn tag_connection(socket: &Socket, data: &mut Value) {
    if matches!(data, Value::Null) {
        *data = Value::Object(Vec::new());
    }
    if let Value::Object(fields) = data {
        let (client_id, transport) = connection(socket);
        fields.retain(|(k, _)| k != "_admin");
        fields.push((
            "_admin".to_owned(),
            Value::Object(vec![
                ("clientId".to_owned(), Value::from(client_id)),
                ("transport".to_owned(), Value::from(transport)),
            ]),
        ));
    }
}

/// A socket of this server, with its connection's id and transport.
fn serialize(socket: &Socket) -> Value {
    serialized(
        socket.id(),
        socket.namespace().name(),
        Some(connection(socket)),
        socket.data_value(),
        socket.handshake(),
        socket.rooms().iter().map(|r| r.as_str().to_owned()),
    )
}

/// A socket `fetch_sockets` found, here or on another server (a Node
/// server keeps the connection's id and transport in `data._admin`).
fn serialize_remote(ns: &Namespace, socket: &RemoteSocket) -> Value {
    if let Some(local) = ns.socket(socket.id().as_str()) {
        return serialize(&local);
    }
    let mut data = socket.data_value().clone();
    let mut conn = None;
    if let Value::Object(fields) = &mut data {
        if let Some(at) = fields.iter().position(|(k, _)| k == "_admin") {
            let admin = fields.remove(at).1;
            let text = |name| admin.get(name).and_then(Value::as_str).map(str::to_owned);
            conn = text("clientId").zip(text("transport"));
        }
    }
    serialized(
        socket.id(),
        ns.name(),
        conn,
        data,
        socket.handshake(),
        socket.rooms().iter().map(|r| r.as_str().to_owned()),
    )
}

fn serialized(
    id: &SocketId,
    nsp: &str,
    conn: Option<(String, String)>,
    data: Value,
    handshake: &socketio_adapter::Handshake,
    rooms: impl Iterator<Item = String>,
) -> Value {
    // Node shows the address a proxy saw first, and never the auth.
    let address = handshake
        .header("cf-connecting-ip")
        .or_else(|| handshake.header("x-forwarded-for"))
        .unwrap_or(&handshake.address)
        .to_owned();
    let mut shown = handshake.to_value();
    if let Value::Object(fields) = &mut shown {
        fields.retain(|(k, _)| k != "auth");
        for (key, value) in fields.iter_mut() {
            if key == "address" {
                *value = Value::from(address.clone());
            }
        }
    }
    // Node's `socket.data` starts as `{}`.
    let data = match data {
        Value::Null => Value::Object(Vec::new()),
        data => data,
    };
    let mut fields = vec![("id".to_owned(), Value::from(id.as_str()))];
    if let Some((client_id, transport)) = conn {
        fields.push(("clientId".to_owned(), Value::from(client_id)));
        fields.push(("transport".to_owned(), Value::from(transport)));
    }
    fields.extend([
        ("nsp".to_owned(), Value::from(nsp)),
        ("data".to_owned(), data),
        ("handshake".to_owned(), shown),
        (
            "rooms".to_owned(),
            Value::Array(rooms.map(Value::from).collect()),
        ),
    ]);
    Value::Object(fields)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The time as JSON writes a JavaScript `Date`.
fn timestamp() -> Value {
    Value::from(JsDate::from_millis(now_millis() as i64).to_iso_string())
}

impl Instrument {
    /// Emits to every UI of the cluster: volatile, so that a UI that lags
    /// misses events rather than holding them, and so that connection
    /// state recovery does not keep them.
    fn emit(&self, event: &str, args: Vec<Value>) {
        let sent = crate::metrics::unobserved(|| self.admin.volatile().emit(event, Args(args)));
        if let Err(e) = sent {
            tracing::debug!(event, error = %e, "not sent to the admin UI");
        }
    }

    /// A namespace was created: its room changes go to the UI.
    pub(crate) fn namespace_created(self: &Arc<Self>, ns: &Namespace) {
        if !self.verbose {
            return;
        }
        let instrument = Arc::downgrade(self);
        let nsp = ns.name().to_owned();
        ns.adapter()
            .on_room_event(Arc::new(move |event: &RoomEvent| {
                let Some(instrument) = instrument.upgrade() else {
                    return;
                };
                let (kind, room, id) = match event {
                    RoomEvent::Join(room, id) => ("room_joined", room, id),
                    RoomEvent::Leave(room, id) => ("room_left", room, id),
                    _ => return,
                };
                instrument.emit(
                    kind,
                    vec![
                        Value::from(nsp.as_str()),
                        Value::from(room.as_str()),
                        Value::from(id.as_str()),
                        timestamp(),
                    ],
                );
            }));
    }

    /// A socket joined its namespace, before the namespace's connection
    /// handlers run: the UI hears of it, then of its events and its end.
    pub(crate) fn socket_connected(self: &Arc<Self>, socket: &Socket) {
        if !self.verbose {
            return;
        }
        self.emit("socket_connected", vec![serialize(socket), timestamp()]);
        let nsp = socket.namespace().name().to_owned();
        if !socket.namespace().same(&self.admin) {
            for outgoing in [false, true] {
                let instrument = Arc::downgrade(self);
                let nsp = Value::from(nsp.as_str());
                let kind = if outgoing {
                    "event_sent"
                } else {
                    "event_received"
                };
                let listener = move |socket: Socket, event: String, args: Vec<Value>| {
                    if let Some(instrument) = instrument.upgrade() {
                        let mut all = vec![Value::from(event)];
                        all.extend(args);
                        instrument.emit(
                            kind,
                            vec![
                                nsp.clone(),
                                Value::from(socket.id().as_str()),
                                Value::Array(all),
                                timestamp(),
                            ],
                        );
                    }
                    std::future::ready(())
                };
                if outgoing {
                    socket.on_any_outgoing(listener);
                } else {
                    socket.prepend_any(listener);
                }
            }
        }
        let instrument = Arc::downgrade(self);
        socket.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            if let Some(instrument) = instrument.upgrade() {
                instrument.emit(
                    "socket_disconnected",
                    vec![
                        Value::from(nsp.as_str()),
                        Value::from(socket.id().as_str()),
                        Value::from(reason.as_str()),
                        timestamp(),
                    ],
                );
            }
            std::future::ready(())
        });
    }

    /// A socket's data changed (Node watches `socket.data` with a proxy).
    pub(crate) fn data_changed(&self, socket: &Socket) {
        if self.verbose {
            self.emit(
                "socket_updated",
                vec![self.update_of(socket, "data", socket.data_value())],
            );
        }
    }

    /// A socket's connection moved to WebSocket.
    pub(crate) fn upgraded(&self, socket: &Socket) {
        if self.verbose {
            self.emit(
                "socket_updated",
                vec![self.update_of(socket, "transport", Value::from("websocket"))],
            );
        }
    }

    fn update_of(&self, socket: &Socket, field: &str, value: Value) -> Value {
        Value::Object(vec![
            ("id".to_owned(), Value::from(socket.id().as_str())),
            ("nsp".to_owned(), Value::from(socket.namespace().name())),
            (field.to_owned(), value),
        ])
    }

    /// Starts sending `server_stats`, unless it runs already or there is
    /// no runtime yet (then the first UI to connect starts it).
    fn start_stats(self: &Arc<Self>, io: Weak<ServerInner>, base: Arc<BaseStats>) {
        let mut task = lock(&self.stats_task);
        if task.is_none() && !self.stopped.load(std::sync::atomic::Ordering::Acquire) {
            if let (Ok(runtime), Some(server)) =
                (tokio::runtime::Handle::try_current(), io.upgrade())
            {
                // Counted from now on, whenever the task first runs.
                let since = Server::from_inner(server).engine().stats();
                *task = Some(runtime.spawn(emit_stats(io, self.clone(), base, since)));
            }
        }
    }

    /// The server is closing.
    pub(crate) fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(task) = lock(&self.stats_task).take() {
            task.abort();
        }
    }
}

//! The server: its options, its namespaces, and the engine.io server it
//! runs on.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use engineio_server::ResponseBody;
use http::{Request, Response};
use hyper::body::Body;
use regex::Regex;
use serde::Serialize;
use socketio_adapter::{AdapterFactory, Room, SocketId};
use socketio_parser::Value;
use tokio::net::ToSocketAddrs;

use crate::admin::Instrument;
use crate::builder::ServerBuilder;
use crate::client::ClientConn;
use crate::dynamic::DynamicNamespace;
use crate::extract::States;
use crate::handler::Handler;
use crate::metrics::{self, Endpoint};
use crate::namespace::{read, write, Namespace, Parsers};
use crate::operator::BroadcastOperator;
use crate::recovery::{Expiries, Recovery};
use crate::remote::RemoteSocket;
use crate::serve_client::ClientBundle;
use crate::DisconnectReason;

mod namespaces;
use crate::Error;

pub(crate) struct ServerInner {
    engine: engineio_server::Server<EngineHandler>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    dynamic: RwLock<Vec<DynamicNamespace>>,
    adapters: Box<dyn AdapterFactory>,
    parsers: Parsers,
    connect_timeout: Duration,
    cleanup_empty_children: bool,
    recovery: Option<Recovery>,
    expiries: Arc<Expiries>,
    states: States,
    bundle: Option<ClientBundle>,
    /// The admin UI's instrumentation, once `instrument` is called.
    instrument: OnceLock<Arc<Instrument>>,
    /// Where metrics are counted, once asked for.
    metrics: Arc<metrics::Hooks>,
    /// The metrics endpoint, if the builder set its path.
    metrics_endpoint: Option<Arc<Endpoint>>,
}

impl ServerInner {
    /// Where metrics are counted.
    pub(crate) fn metrics(&self) -> &Arc<metrics::Hooks> {
        &self.metrics
    }

    /// The admin UI's instrumentation, if any.
    pub(crate) fn instrument(&self) -> Option<&Arc<Instrument>> {
        self.instrument.get()
    }

    pub(crate) fn states(&self) -> &States {
        &self.states
    }

    pub(crate) fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    pub(crate) fn expiries(&self) -> &Arc<Expiries> {
        &self.expiries
    }

    pub(crate) fn adapters(&self) -> &dyn AdapterFactory {
        &*self.adapters
    }

    pub(crate) fn parsers(&self) -> &Parsers {
        &self.parsers
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
}

/// The engine.io [`Handler`](engineio_server::Handler) of a socket.io
/// server: it makes each new engine.io session a socket.io client. See
/// [`Server::engine`].
pub struct EngineHandler {
    server: Weak<ServerInner>,
}

impl fmt::Debug for EngineHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineHandler").finish_non_exhaustive()
    }
}

impl engineio_server::Handler for EngineHandler {
    type Connection = ClientConnection;

    fn on_connect(&self, socket: engineio_server::Socket) -> ClientConnection {
        match self.server.upgrade() {
            Some(server) => ClientConnection(Some(ClientConn::new(server, socket))),
            None => {
                socket.close();
                ClientConnection(None)
            }
        }
    }
}

/// A socket.io client as an engine.io [`Connection`](engineio_server::Connection):
/// what [`EngineHandler`] and [`Server::accept`] return. Hand it each
/// message and the close of its session.
pub struct ClientConnection(Option<ClientConn>);

impl fmt::Debug for ClientConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConnection")
            .field("open", &self.0.is_some())
            .finish()
    }
}

impl engineio_server::Connection for ClientConnection {
    fn on_message(&mut self, message: engineio_server::Message) {
        if let Some(client) = &mut self.0 {
            client.on_message(message);
        }
    }

    fn on_upgrade(&mut self) {
        if let Some(client) = &mut self.0 {
            client.on_upgrade();
        }
    }

    fn on_close(&mut self, reason: engineio_server::CloseReason) {
        if let Some(client) = &mut self.0 {
            client.on_close(reason);
        }
    }
}

/// A Socket.IO server (Node's `Server`).
///
/// Cheap to clone; every clone is the same server.
#[derive(Clone)]
pub struct Server(Arc<ServerInner>);

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("engine", &self.0.engine)
            .finish_non_exhaustive()
    }
}

/// What a [`ServerBuilder`](crate::ServerBuilder) hands over to make a
/// server.
pub(crate) struct Parts {
    pub(crate) engine: engineio_server::Config,
    pub(crate) adapters: Box<dyn AdapterFactory>,
    pub(crate) parsers: Parsers,
    pub(crate) connect_timeout: Duration,
    pub(crate) cleanup_empty_children: bool,
    pub(crate) recovery: Option<Recovery>,
    pub(crate) states: States,
    pub(crate) bundle: Option<ClientBundle>,
    pub(crate) metrics_endpoint: Option<Arc<Endpoint>>,
}

impl Server {
    /// A server of these parts, with its default namespace `/`.
    pub(crate) fn from_parts(parts: Parts) -> Self {
        let inner = Arc::new_cyclic(|weak| ServerInner {
            engine: engineio_server::Server::new(
                parts.engine,
                EngineHandler {
                    server: weak.clone(),
                },
            ),
            namespaces: RwLock::new(HashMap::new()),
            dynamic: RwLock::new(Vec::new()),
            adapters: parts.adapters,
            parsers: parts.parsers,
            connect_timeout: parts.connect_timeout,
            cleanup_empty_children: parts.cleanup_empty_children,
            recovery: parts.recovery,
            expiries: Arc::default(),
            states: parts.states,
            bundle: parts.bundle,
            instrument: OnceLock::new(),
            metrics: Arc::default(),
            metrics_endpoint: parts.metrics_endpoint,
        });
        let server = Self(inner);
        server.of("/");
        server
    }

    pub(crate) fn from_inner(inner: Arc<ServerInner>) -> Self {
        Self(inner)
    }

    pub(crate) fn inner(&self) -> &Arc<ServerInner> {
        &self.0
    }

    /// The options, to be built into a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Runs `handler` for each socket that joins `/` (Node's
    /// `io.on("connection")`); see [`Namespace::on_connection`].
    pub fn on_connection<T, H: Handler<T, ()>>(&self, handler: H) {
        self.of("/").on_connection(handler);
    }

    /// Adds a middleware to `/` (Node's `io.use`); see
    /// [`Namespace::middleware`].
    pub fn middleware<T, H: Handler<T, Result<(), Error>>>(&self, middleware: H) {
        self.of("/").middleware(middleware);
    }

    /// The namespace `name`, created if it does not exist yet.
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        write(&self.0.namespaces)
            .entry(name.clone())
            .or_insert_with(|| {
                tracing::debug!(nsp = %name, "namespace created");
                Namespace::new(&name, &self.0, None)
            })
            .clone()
    }

    /// A dynamic namespace: a client asking for a namespace that does not
    /// exist and whose name `regex` matches gets a new child namespace
    /// (Node's `io.of(/regex/)`).
    ///
    /// ```
    /// use socketio_server::{Regex, Server, Socket};
    /// # fn main() -> Result<(), regex::Error> {
    /// let io = Server::builder().build();
    /// io.of_regex(Regex::new(r"^/room-\d+$")?).on_connection(|socket: Socket| async move {
    ///     let _ = socket.emit("welcome", (socket.namespace().name(),));
    /// });
    /// # Ok(()) }
    /// ```
    pub fn of_regex(&self, regex: Regex) -> DynamicNamespace {
        self.add_dynamic(DynamicNamespace::regex(regex))
    }

    /// A dynamic namespace whose children are the names `predicate` accepts;
    /// it sees the name and the client's auth payload (Node's
    /// `io.of((name, auth, next) => ...)`).
    pub fn of_predicate(
        &self,
        predicate: impl Fn(&str, &Value) -> bool + Send + Sync + 'static,
    ) -> DynamicNamespace {
        self.add_dynamic(DynamicNamespace::predicate(move |name, auth| {
            std::future::ready(predicate(name, auth))
        }))
    }

    /// As [`Server::of_predicate`], for a predicate that must wait (a
    /// lookup elsewhere). It looks at the name and auth at once and returns
    /// a future that owns what it needs.
    ///
    /// ```
    /// use socketio_server::Server;
    /// let io = Server::builder().build();
    /// let rooms = io.of_predicate_async(|name, _auth| {
    ///     let name = name.to_owned();
    ///     async move { name.starts_with("/room-") }
    /// });
    /// # let _ = rooms;
    /// ```
    pub fn of_predicate_async<F, Fut>(&self, predicate: F) -> DynamicNamespace
    where
        F: Fn(&str, &Value) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.add_dynamic(DynamicNamespace::predicate(predicate))
    }

    fn add_dynamic(&self, parent: DynamicNamespace) -> DynamicNamespace {
        write(&self.0.dynamic).push(parent.clone());
        parent
    }

    /// The default namespace, `/`.
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// The ids of the sockets of `/` on this server (Node's `allSockets()`).
    pub fn all_sockets(&self) -> HashSet<SocketId> {
        self.sockets().all_sockets()
    }

    /// Sends `event` to every socket of `/`.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        self.sockets().emit(event, args)
    }

    /// A broadcast to the sockets of `/` in `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// The same as [`Server::to`] (Node's `in`).
    pub fn within(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// A broadcast to the sockets of `/` but those in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().except(room)
    }

    /// A broadcast in `/` that may be dropped for clients not ready for it.
    pub fn volatile(&self) -> BroadcastOperator {
        self.sockets().volatile()
    }

    /// A broadcast in `/` to the sockets of this server only.
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// A broadcast in `/` with the compress flag set as given.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.sockets().compress(compress)
    }

    /// A broadcast to every socket of `/` that waits for acks at
    /// most `timeout`: then [`BroadcastOperator::emit_with_ack`].
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.sockets().broadcast().timeout(timeout)
    }

    /// Every socket of the namespace, on every server (Node's
    /// `fetchSockets()`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, Error> {
        self.sockets().broadcast().fetch_sockets().await
    }

    /// Makes every socket of `/` join `rooms`.
    pub async fn sockets_join<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        self.sockets().broadcast().sockets_join(rooms).await
    }

    /// Makes every socket of `/` leave `rooms`.
    pub async fn sockets_leave<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        self.sockets().broadcast().sockets_leave(rooms).await
    }

    /// Disconnects every socket of `/`; with `close`, their
    /// connections too.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        self.sockets().broadcast().disconnect_sockets(close).await
    }

    /// Sends `event` with `args` to `/` on every other server (see
    /// [`Namespace::server_side_emit`]).
    pub async fn server_side_emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        self.sockets().server_side_emit(event, args).await
    }

    /// A server-side emit in `/`, to set up (see [`Namespace::server_side`]).
    pub fn server_side(&self) -> crate::ServerSideEmitter {
        self.sockets().server_side()
    }

    /// Serves the server alone on `addr` and returns the address it
    /// listens on.
    pub async fn listen(&self, addr: impl ToSocketAddrs) -> std::io::Result<SocketAddr> {
        self.0.engine.listen(addr).await
    }

    /// As [`Server::listen`], over TLS (HTTPS and WSS), with a certificate
    /// chain and key given as [`TlsConfig`](engineio_server::TlsConfig)
    /// (feature `tls`).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use socketio_server::{Server, TlsConfig};
    /// let io = Server::builder().build();
    /// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
    /// io.listen_tls("0.0.0.0:443", tls).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub async fn listen_tls(
        &self,
        addr: impl ToSocketAddrs,
        tls: engineio_server::TlsConfig,
    ) -> std::io::Result<SocketAddr> {
        self.0.engine.listen_tls(addr, tls).await
    }

    /// The engine.io server under this one (Node's `io.engine`): its
    /// sessions ([`socket`](engineio_server::Server::socket),
    /// [`session_count`](engineio_server::Server::session_count)), its
    /// options, and `handle` for requests.
    pub fn engine(&self) -> &engineio_server::Server<EngineHandler> {
        &self.0.engine
    }

    /// Makes an engine.io session of your own a socket.io client of this
    /// server (Node's `io.onconnection(conn)`): call it from your own
    /// [`Handler`](engineio_server::Handler)'s `on_connect` and return the
    /// connection, which hears the session's messages and close.
    ///
    /// ```
    /// use engineio_server::{Config, Handler, Socket};
    /// use socketio_server::{ClientConnection, Server};
    ///
    /// /// An engine.io server of one's own that hands sessions to socket.io.
    /// struct Mine(Server);
    ///
    /// impl Handler for Mine {
    ///     type Connection = ClientConnection;
    ///     fn on_connect(&self, socket: Socket) -> ClientConnection {
    ///         tracing::info!(sid = %socket.sid(), "a session");
    ///         self.0.accept(socket)
    ///     }
    /// }
    ///
    /// let io = Server::builder().build();
    /// let engine = engineio_server::Server::new(Config::default().path("/socket.io/"), Mine(io));
    /// # let _ = engine;
    /// ```
    pub fn accept(&self, socket: engineio_server::Socket) -> ClientConnection {
        ClientConnection(Some(ClientConn::new(self.0.clone(), socket)))
    }

    /// The path the server answers on (Node's `io.path()`).
    pub fn path(&self) -> &str {
        self.0.engine.path()
    }

    /// How long a client may take to join a namespace (Node's
    /// `io.connectTimeout()`).
    pub fn connect_timeout(&self) -> Duration {
        self.0.connect_timeout
    }

    /// The engine.io options the server runs with: timings, limits,
    /// transports, CORS.
    pub fn engine_config(&self) -> &engineio_server::Config {
        self.0.engine.config()
    }

    /// How many engine.io connections are open (Node's
    /// `io.engine.clientsCount`).
    pub fn connection_count(&self) -> usize {
        self.0.engine.session_count()
    }

    /// Whether `path` is the server's (to route requests to [`Server::handle`]).
    pub fn matches_path(&self, path: &str) -> bool {
        self.0.engine.matches_path(path)
            || self
                .0
                .metrics_endpoint
                .as_ref()
                .is_some_and(|e| e.path() == path)
            || self.0.bundle.as_ref().is_some_and(|bundle| {
                path.strip_prefix(self.0.engine.config().path_prefix())
                    .is_some_and(|file| bundle.serves(file))
            })
    }

    /// The client bundle the server serves, if any.
    pub fn client_bundle(&self) -> Option<&ClientBundle> {
        self.0.bundle.as_ref()
    }

    /// Answers one HTTP request, for a server mounted in another hyper service.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        self.0.engine.handle(request).await
    }

    /// Disconnects every socket with `server shutting down`, closes the
    /// adapters and frees the port.
    pub async fn close(&self) {
        if let Some(instrument) = self.0.instrument() {
            instrument.stop();
        }
        // As Node does: every socket leaves its namespace (its disconnect
        // handlers run) before any client sees the engine's CLOSE.
        let namespaces: Vec<Namespace> = read(&self.0.namespaces).values().cloned().collect();
        for ns in &namespaces {
            for socket in ns.sockets() {
                socket.close(DisconnectReason::ServerShuttingDown);
            }
        }
        self.0.engine.close().await;
        for ns in namespaces {
            if let Err(e) = ns.adapter().close().await {
                tracing::warn!(nsp = %ns.name(), error = %e, "adapter did not close cleanly");
            }
        }
    }
}

/// The server as a hyper service, to mount in another hyper server (with
/// `serve_connection(..).with_upgrades()` for WebSocket). Route only the
/// requests [`Server::matches_path`] accepts to it.
impl<B> hyper::service::Service<Request<B>> for Server
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    type Response = Response<ResponseBody>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, request: Request<B>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle(request).await) })
    }
}

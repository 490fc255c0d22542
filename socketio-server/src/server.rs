//! The server: its options, its namespaces, and the engine.io server it
//! runs on.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use engineio_server::ResponseBody;
use http::{Request, Response};
use hyper::body::Body;
use serde::Serialize;
use socketio_adapter::{AdapterFactory, InMemoryAdapter, Room};
use socketio_parser::{JsonParser, ProtocolVersion};
use tokio::net::ToSocketAddrs;

use crate::client::Client;
use crate::namespace::{Namespace, Parsers};
use crate::operator::BroadcastOperator;
use crate::Error;

pub(crate) struct ServerInner {
    engine: engineio_server::Server<EngineHandler>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    adapters: Box<dyn AdapterFactory>,
    parsers: Parsers,
    connect_timeout: Duration,
}

impl ServerInner {
    pub(crate) fn namespace(&self, name: &str) -> Option<Namespace> {
        self.namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    pub(crate) fn parsers(&self) -> &Parsers {
        &self.parsers
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
}

/// Hands each new engine.io session to a socket.io [`Client`].
pub(crate) struct EngineHandler {
    server: Weak<ServerInner>,
}

impl engineio_server::Handler for EngineHandler {
    type Connection = ClientConnection;

    fn on_connect(&self, socket: engineio_server::Socket) -> ClientConnection {
        match self.server.upgrade() {
            Some(server) => ClientConnection(Some(Client::new(server, socket))),
            None => {
                socket.close();
                ClientConnection(None)
            }
        }
    }
}

/// The engine.io connection object: a client, or nothing while the server
/// is being dropped.
pub(crate) struct ClientConnection(Option<Client>);

impl engineio_server::Connection for ClientConnection {
    fn on_message(&mut self, message: engineio_server::Message) {
        if let Some(client) = &mut self.0 {
            client.on_message(message);
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

/// The options of a [`Server`], set with builder methods.
pub struct ServerBuilder {
    engine: engineio_server::Config,
    adapters: Box<dyn AdapterFactory>,
    connect_timeout: Duration,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("engine", &self.engine)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self {
            engine: engineio_server::Config::default().path("/socket.io/"),
            adapters: Box::new(InMemoryAdapter::factory()),
            connect_timeout: Duration::from_secs(45),
        }
    }
}

impl ServerBuilder {
    /// The path the server answers on (default `/socket.io/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.engine = self.engine.path(path);
        self
    }

    /// How long a client may take to join a namespace before its connection
    /// is closed (default 45 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The adapter each namespace gets (default: [`InMemoryAdapter`]).
    pub fn adapter(mut self, factory: impl AdapterFactory) -> Self {
        self.adapters = Box::new(factory);
        self
    }

    /// Sets engine.io options: timings, limits, transports, CORS, hooks.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = socketio_server::Server::builder()
    ///     .engine(|e| e.ping_interval(Duration::from_secs(10)).allow_eio3(true));
    /// # let _ = builder;
    /// ```
    pub fn engine(
        mut self,
        configure: impl FnOnce(engineio_server::Config) -> engineio_server::Config,
    ) -> Self {
        self.engine = configure(self.engine);
        self
    }

    /// The server, with its default namespace `/`.
    pub fn build(self) -> Server {
        let parsers = Parsers {
            v5: Arc::new(JsonParser::new(ProtocolVersion::V5)),
            v4: Arc::new(JsonParser::new(ProtocolVersion::V4)),
        };
        let inner = Arc::new_cyclic(|weak| ServerInner {
            engine: engineio_server::Server::new(
                self.engine,
                EngineHandler {
                    server: weak.clone(),
                },
            ),
            namespaces: RwLock::new(HashMap::new()),
            adapters: self.adapters,
            parsers,
            connect_timeout: self.connect_timeout,
        });
        let server = Server(inner);
        server.of("/");
        server
    }
}

impl Server {
    /// The options, to be built into a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The namespace `name`, created if it does not exist yet.
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        let mut namespaces = self
            .0
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        namespaces
            .entry(name.clone())
            .or_insert_with(|| {
                tracing::debug!(nsp = %name, "namespace created");
                Namespace::new(&name, self.0.parsers.clone(), &*self.0.adapters)
            })
            .clone()
    }

    /// The default namespace, `/`.
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// Sends `event` to every socket of `/`.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        self.sockets().emit(event, args)
    }

    /// A broadcast to the sockets of `/` in `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.sockets().to(room)
    }

    /// Serves the server alone on `addr` and returns the address it
    /// listens on.
    pub async fn listen(&self, addr: impl ToSocketAddrs) -> std::io::Result<SocketAddr> {
        self.0.engine.listen(addr).await
    }

    /// Whether `path` is the server's (to route requests to [`Server::handle`]).
    pub fn matches_path(&self, path: &str) -> bool {
        self.0.engine.matches_path(path)
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
        self.0.engine.close().await;
        let namespaces: Vec<Namespace> = self
            .0
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for ns in namespaces {
            if let Err(e) = ns.adapter().close().await {
                tracing::warn!(nsp = %ns.name(), error = %e, "adapter did not close cleanly");
            }
        }
    }
}

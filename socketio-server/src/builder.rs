//! The options of a server and their defaults: `Server::builder()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use socketio_adapter::{AdapterFactory, InMemoryAdapter};
use socketio_parser::{JsonParser, Parser, ProtocolVersion};

use crate::extract::States;
use crate::metrics::Endpoint;
use crate::namespace::Parsers;
use crate::recovery::Recovery;
use crate::serve_client::ClientBundle;
use crate::server::{Parts, Server};

/// The options of a [`Server`], set with builder methods.
pub struct ServerBuilder {
    engine: engineio_server::Config,
    adapters: Option<Box<dyn AdapterFactory>>,
    recovery: Option<Recovery>,
    parser: Arc<dyn Parser>,
    connect_timeout: Duration,
    cleanup_empty_children: bool,
    states: States,
    bundle: BundleChoice,
    metrics_path: Option<String>,
}

/// Whether and whence the client bundle is served.
enum BundleChoice {
    /// From `node_modules/socket.io-client` in the working directory, if
    /// it is there (Node serves its own copy by default).
    Auto,
    Given(ClientBundle),
    Off,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("engine", &self.engine)
            .field("parser", &self.parser)
            .field("connect_timeout", &self.connect_timeout)
            .field("cleanup_empty_children", &self.cleanup_empty_children)
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self {
            engine: engineio_server::Config::default().path("/socket.io/"),
            adapters: None,
            recovery: None,
            parser: Arc::new(JsonParser::new(ProtocolVersion::V5)),
            connect_timeout: Duration::from_secs(45),
            cleanup_empty_children: false,
            states: States::default(),
            bundle: BundleChoice::Auto,
            metrics_path: None,
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
        self.adapters = Some(Box::new(factory));
        self
    }

    /// Turns connection state recovery on (off by default); see
    /// [`Recovery`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use socketio_server::{Recovery, Server};
    /// let io = Server::builder()
    ///     .connection_state_recovery(
    ///         Recovery::default().max_disconnection_duration(Duration::from_secs(120)),
    ///     )
    ///     .build();
    /// # let _ = io;
    /// ```
    pub fn connection_state_recovery(mut self, recovery: Recovery) -> Self {
        self.recovery = Some(recovery);
        self
    }

    /// The parser for socket.io 3.x and 4.x clients (protocol v5). JSON
    /// by default; with the `msgpack` feature,
    /// [`socketio_parser::MsgPackParser`] speaks the npm package
    /// `socket.io-msgpack-parser`, which the clients must use too.
    /// socket.io 2.x clients always get the JSON parser of protocol v4.
    ///
    /// ```
    /// # #[cfg(feature = "msgpack")] {
    /// let io = socketio_server::Server::builder()
    ///     .parser(socketio_parser::MsgPackParser)
    ///     .build();
    /// # let _ = io; }
    /// ```
    pub fn parser(mut self, parser: impl Parser) -> Self {
        self.parser = Arc::new(parser);
        self
    }

    /// Whether a child of a dynamic namespace is removed, and its adapter
    /// closed, once its last socket leaves (default: kept).
    pub fn cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.cleanup_empty_children = cleanup;
        self
    }

    /// Gives handlers `state`: any handler may take it as a
    /// [`State<S>`](crate::State) parameter. Call it once per type; several
    /// types may be given. `S` is cloned for each call that takes it, so
    /// share what must be shared behind an `Arc`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use socketio_server::{Server, Socket, State};
    ///
    /// #[derive(Clone, Default)]
    /// struct Counter(Arc<AtomicU64>);
    ///
    /// let io = Server::builder().with_state(Counter::default()).build();
    /// io.on_connection(|socket: Socket, State(count): State<Counter>| async move {
    ///     socket.on("hit", |State(count): State<Counter>| async move {
    ///         count.0.fetch_add(1, Ordering::Relaxed);
    ///     });
    ///     let _ = socket.emit("hits", count.0.load(Ordering::Relaxed));
    /// });
    /// ```
    pub fn with_state<S: Clone + Send + Sync + 'static>(mut self, state: S) -> Self {
        self.states.insert(state);
        self
    }

    /// Serves `bundle`, the socket.io-client browser bundle, under the
    /// server's path (`/socket.io/socket.io.js`, ...; Node's
    /// `serveClient`). By default the server serves the one installed in
    /// `node_modules/socket.io-client` of the working directory, if any.
    pub fn serve_client(mut self, bundle: ClientBundle) -> Self {
        self.bundle = BundleChoice::Given(bundle);
        self
    }

    /// Serves no client bundle: those paths get 404 (Node's
    /// `serveClient: false`).
    pub fn without_client_bundle(mut self) -> Self {
        self.bundle = BundleChoice::Off;
        self
    }

    /// Serves the server's Prometheus metrics (OpenMetrics text) at `path`,
    /// e.g. `/metrics`, next to the socket.io path: connected sockets per
    /// namespace, connections and disconnections by reason, Engine.IO
    /// sessions, handshakes, upgrades and closes, messages and bytes in and
    /// out by transport, broadcast fan-out and ack round trips. Off by
    /// default; [`Server::register_metrics`] adds them to a registry of
    /// your own instead.
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.metrics_path = Some(path.into());
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
        let adapters = self.adapters.unwrap_or_else(|| match &self.recovery {
            Some(r) => Box::new(InMemoryAdapter::recovering_factory(
                r.max_disconnection_duration,
            )),
            None => Box::new(InMemoryAdapter::factory()),
        });
        let bundle = match self.bundle {
            BundleChoice::Given(bundle) => Some(bundle),
            BundleChoice::Off => None,
            BundleChoice::Auto => {
                match ClientBundle::from_package_dir("node_modules/socket.io-client") {
                    Ok(bundle) => Some(bundle),
                    Err(e) => {
                        tracing::debug!(error = %e, "no client bundle to serve");
                        None
                    }
                }
            }
        };
        let mut engine = self.engine;
        let endpoint = self.metrics_path.map(Endpoint::new);
        if bundle.is_some() || endpoint.is_some() {
            let base = engine.path_prefix().to_owned();
            let (bundle, endpoint) = (bundle.clone(), endpoint.clone());
            engine = engine.respond_first(move |head| {
                if let Some(endpoint) = endpoint.as_ref().filter(|e| e.path() == head.uri.path()) {
                    return Some(endpoint.respond(&head.method));
                }
                let file = head.uri.path().strip_prefix(base.as_str())?;
                bundle.as_ref()?.respond(file, &head.headers)
            });
        }
        let parsers = Parsers {
            v5: self.parser,
            v4: Arc::new(JsonParser::new(ProtocolVersion::V4)),
        };
        let server = Server::from_parts(Parts {
            engine,
            adapters,
            parsers,
            connect_timeout: self.connect_timeout,
            cleanup_empty_children: self.cleanup_empty_children,
            recovery: self.recovery,
            states: self.states,
            bundle,
            metrics_endpoint: endpoint.clone(),
        });
        if let Some(endpoint) = endpoint {
            endpoint.attach(&server);
        }
        server
    }
}

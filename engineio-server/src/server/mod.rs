//! The tokio and hyper driver: routes requests to the transports, checks
//! them as the protocol asks, and gives each session its driver (a task of
//! its own over polling; the WebSocket's task over a WebSocket).

mod listen;
mod polling;
mod websocket;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use engineio_protocol::{Error as ProtocolError, ErrorCode, ProtocolVersion, Query, Transport};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Body;
use tokio::sync::watch;

use crate::config::{Config, RequestHead};
use crate::cors::OriginVerdict;
use crate::response::{self, ResponseBody};
use crate::session::Session;
use crate::socket::{Core, Entry, RequestInfo};
use crate::stats::Stats;
use crate::EngineStats;
use crate::{CloseReason, Handler, Sid, Socket};

/// The client's address, as a request extension. [`Server::listen`] adds
/// it; a server that mounts [`Server::handle`] itself may add it so that
/// sessions know their peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// An engine.io server: a hyper service, a session table and the handler.
///
/// Cheap to clone; every clone is the same server.
///
/// ```no_run
/// use engineio_server::{CloseReason, Config, Connection, Handler, Message, Server, Socket};
///
/// struct Echo;
/// struct EchoConn(Socket);
///
/// impl Handler for Echo {
///     type Connection = EchoConn;
///     fn on_connect(&self, socket: Socket) -> EchoConn {
///         EchoConn(socket)
///     }
/// }
///
/// impl Connection for EchoConn {
///     fn on_message(&mut self, message: Message) {
///         let _ = self.0.send(message);
///     }
///     fn on_close(&mut self, _reason: CloseReason) {}
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let server = Server::new(Config::default(), Echo);
/// let addr = server.listen("127.0.0.1:3000").await?;
/// println!("listening on {addr}");
/// # Ok(()) }
/// ```
pub struct Server<H: Handler> {
    inner: Arc<Inner<H>>,
}

impl<H: Handler> Clone for Server<H> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<H: Handler> std::fmt::Debug for Server<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.inner.config)
            .field("sessions", &self.session_count())
            .finish_non_exhaustive()
    }
}

type Sessions<C> = HashMap<Sid, Arc<Entry<C>>>;

struct Inner<H: Handler> {
    config: Config,
    handler: H,
    sessions: Mutex<Sessions<H::Connection>>,
    closing: AtomicBool,
    /// Tells the accept loops and their connections to stop.
    shutdown: watch::Sender<bool>,
    /// The accept loops started by `listen`.
    listeners: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The connections those loops accepted that are still open.
    connections: Arc<std::sync::atomic::AtomicUsize>,
    /// What the sessions have done, for [`Server::stats`].
    stats: Arc<Stats>,
}

impl<H: Handler> Inner<H> {
    fn sessions(&self) -> MutexGuard<'_, Sessions<H::Connection>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<H: Handler> Server<H> {
    /// A server with these options, handing sessions to `handler`.
    pub fn new(config: Config, handler: H) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                handler,
                sessions: Mutex::new(HashMap::new()),
                closing: AtomicBool::new(false),
                shutdown: watch::channel(false).0,
                listeners: Mutex::new(Vec::new()),
                connections: Arc::default(),
                stats: Arc::default(),
            }),
        }
    }

    /// The options the server runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// How many sessions are open (or closing).
    pub fn session_count(&self) -> usize {
        self.inner.sessions().len()
    }

    /// What the server has seen since it started: sessions open (and how
    /// many on long-polling), handshakes, upgrades, closes by reason, and
    /// messages and bytes in and out by transport.
    pub fn stats(&self) -> EngineStats {
        self.inner.stats.snapshot(self.session_count())
    }

    /// A handle on the session `sid`, if it is open.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        let entry = self.inner.sessions().get(&Sid::from(sid)).cloned()?;
        Some(Socket::new(entry.core.clone()))
    }

    /// The path the server answers on.
    pub fn path(&self) -> &str {
        &self.inner.config.path
    }

    /// Whether `path` is this server's (with or without the trailing slash).
    pub fn matches_path(&self, path: &str) -> bool {
        let own = &self.inner.config.path;
        path == own || Some(path) == own.strip_suffix('/')
    }

    /// Answers one HTTP request: a handshake, a polling GET or POST, a
    /// WebSocket upgrade, a CORS preflight, or an error. Requests for
    /// other paths get 404; check [`Server::matches_path`] first to route
    /// them elsewhere.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let (mut head, body) = request.into_parts();
        let config = &self.inner.config;
        // A CORS policy that waits is asked once, up front.
        if let Some(verdict) = match &config.cors {
            Some(cors) => cors.decide(&head.headers).await,
            None => None,
        } {
            head.extensions.insert(verdict);
        }
        if let Some(mut response) = config.responder.as_ref().and_then(|r| r(&head)) {
            response::finish(config, &head, &mut response);
            return response;
        }
        if !self.matches_path(head.uri.path()) {
            return response::status(config, &head, StatusCode::NOT_FOUND);
        }
        if head.method == Method::OPTIONS {
            if let Some(cors) = &config.cors {
                let mut response = response::build(StatusCode::NO_CONTENT, "", Bytes::new());
                let verdict = head.extensions.get::<OriginVerdict>().copied();
                cors.preflight(&head.headers, verdict, response.headers_mut());
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
                if let Some(hook) = &config.headers {
                    hook(&head, response.headers_mut());
                }
                return response;
            }
        }
        let (query, entry) = match self.verify(&head) {
            Ok(verified) => verified,
            Err((code, message, context)) => {
                return response::refuse(config, &head, code, message.as_deref(), context);
            }
        };
        // Last of Node's checks, for handshakes: the application's hook.
        if let (None, Some(hook)) = (&entry, &config.allow_request) {
            if let Err(refusal) = hook(&head).await {
                let message = Some(refusal.message.as_str());
                return response::refuse(
                    config,
                    &head,
                    ErrorCode::Forbidden,
                    message,
                    "allow_request refused",
                );
            }
        }
        // `verify` made sure the transport matches the upgrade header and
        // that a sid names a live session.
        match (entry, query.transport) {
            (None, Transport::Websocket) => websocket::handshake(self, head, query),
            (Some(entry), Transport::Websocket) => websocket::upgrade(self, head, query, entry),
            (None, Transport::Polling) => polling::handshake(self, head, query),
            (Some(entry), Transport::Polling) if head.method == Method::GET => {
                polling::get(self, head, query, entry).await
            }
            (Some(entry), Transport::Polling) if head.method == Method::POST => {
                polling::post(self, head, body, query, entry).await
            }
            (Some(_), Transport::Polling) => response::refuse(
                config,
                &head,
                ErrorCode::BadRequest,
                None,
                "method not GET or POST",
            ),
        }
    }

    /// The checks of Node's engine.io `verify`, in its order, with the
    /// stricter `EIO` rule: transport, version, session, method (the
    /// `allow_request` hook, which may wait, comes after, in `handle`).
    /// Gives the query and, when it names one, the session.
    #[allow(clippy::type_complexity)]
    fn verify(
        &self,
        head: &RequestHead,
    ) -> Result<(Query, Option<Arc<Entry<H::Connection>>>), (ErrorCode, Option<String>, &'static str)>
    {
        let config = &self.inner.config;
        let query = Query::parse(head.uri.query().unwrap_or("")).map_err(|e| match e {
            ProtocolError::UnknownTransport => {
                (ErrorCode::UnknownTransport, None, "transport unknown")
            }
            ProtocolError::UnsupportedProtocolVersion => (
                ErrorCode::UnsupportedProtocolVersion,
                None,
                "EIO missing or unsupported",
            ),
            _ => (ErrorCode::BadRequest, None, "malformed query"),
        })?;
        if !config.transports.contains(&query.transport) {
            return Err((ErrorCode::UnknownTransport, None, "transport not allowed"));
        }
        if query.version == ProtocolVersion::V3 && !config.allow_eio3 {
            return Err((
                ErrorCode::UnsupportedProtocolVersion,
                None,
                "EIO 3 not allowed",
            ));
        }
        let is_upgrade = is_websocket_upgrade(head);
        if (query.transport == Transport::Websocket) != is_upgrade {
            return Err((ErrorCode::BadRequest, None, "transport and upgrade differ"));
        }
        if let Some(sid) = &query.sid {
            let entry = self.inner.sessions().get(&Sid::from(sid.as_str())).cloned();
            let Some(entry) = entry else {
                return Err((ErrorCode::UnknownSid, None, "unknown sid"));
            };
            let now = crate::clock::now();
            entry.catch_up(now);
            let mut state = entry.core.lock();
            if state.session.is_closed() {
                // The GET the client sent before its CLOSE gets its NOOP.
                let in_flight =
                    head.method == Method::GET && !is_upgrade && state.session.admits_late_get(now);
                if !in_flight {
                    // Closed, and gone from the table in a moment: Node has
                    // forgotten it already.
                    return Err((ErrorCode::UnknownSid, None, "session closed"));
                }
            }
            if state.session.version() != query.version {
                return Err((
                    ErrorCode::BadRequest,
                    None,
                    "EIO differs from the session's",
                ));
            }
            // A WebSocket for a session that cannot upgrade (it has, or is
            // upgrading) is accepted and then closed at once, as Node does.
            if !is_upgrade && state.session.transport() != query.transport {
                return Err((
                    ErrorCode::BadRequest,
                    None,
                    "transport differs from the session's",
                ));
            }
            drop(state);
            return Ok((query, Some(entry)));
        }
        if head.method != Method::GET {
            return Err((ErrorCode::BadHandshakeMethod, None, "handshake not GET"));
        }
        if self.inner.closing.load(Ordering::Acquire) {
            return Err((ErrorCode::BadRequest, None, "server closing"));
        }
        Ok((query, None))
    }

    /// Creates a session for a handshake on `transport` and tells the
    /// handler. Returns the session and its driver (timers, events, close),
    /// which the caller runs: a task of its own for polling, in the
    /// WebSocket's own task for a WebSocket.
    fn open_session(
        &self,
        head: &RequestHead,
        query: &Query,
        transport: Transport,
    ) -> Option<(
        Arc<Entry<H::Connection>>,
        impl Future<Output = ()> + Send + 'static,
    )> {
        let sid = match Sid::generate() {
            Ok(sid) => sid,
            Err(e) => {
                tracing::error!(error = %e, "no session id");
                return None;
            }
        };
        let config = &self.inner.config;
        if self.inner.closing.load(Ordering::Acquire) {
            return None;
        }
        let mut session_config = config.session.clone();
        // Offer the upgrade only if WebSocket is an allowed transport.
        session_config.allow_upgrades &= config.transports.contains(&Transport::Websocket);
        let session = Session::new(
            sid.clone(),
            query.version,
            transport,
            session_config,
            crate::clock::now(),
        );
        let request = RequestInfo::detached(
            &head.uri,
            &head.headers,
            head.extensions.get::<RemoteAddr>().map(|a| a.0),
        );
        self.inner.stats.handshake(transport);
        let core = Arc::new(Core::new(
            session,
            request,
            !query.b64,
            self.inner.stats.clone(),
        ));
        tracing::debug!(%sid, version = ?query.version, transport = transport.as_str(), "handshake");
        let conn = self.inner.handler.on_connect(Socket::new(core.clone()));
        let entry = Arc::new(Entry::new(core, conn));
        self.inner.sessions().insert(sid.clone(), entry.clone());
        let server = self.clone();
        let driven = entry.clone();
        let driver = async move {
            // Removed however the driver ends, a panic included.
            let _remove = RemoveOnDrop {
                sessions: &server.inner.sessions,
                sid,
            };
            driven.drive().await;
        };
        Some((entry, driver))
    }

    /// Closes every session with `server shutting down` (each client gets a
    /// CLOSE packet), stops the listener started by [`Server::listen`] and
    /// frees its port. New handshakes are refused from now on. Returns once
    /// every session is gone, or after one second at most.
    pub async fn close(&self) {
        self.inner.closing.store(true, Ordering::Release);
        let entries: Vec<_> = self.inner.sessions().values().cloned().collect();
        tracing::debug!(sessions = entries.len(), "closing the server");
        for entry in &entries {
            Socket::new(entry.core.clone()).close_with(CloseReason::ServerShuttingDown);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while self.session_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Whoever did not pick up the CLOSE packet in time loses it.
        for entry in self.inner.sessions().values() {
            let mut state = entry.core.lock();
            let transport = state.session.transport();
            state
                .session
                .handle_transport_closed(transport, CloseReason::ServerShuttingDown);
            drop(state);
            entry.core.wake_all();
        }
        self.inner.shutdown.send_replace(true);
        let listeners = std::mem::take(
            &mut *self
                .inner
                .listeners
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for accept_loop in listeners {
            let _ = accept_loop.await;
        }
    }
}

impl<H: Handler, B> hyper::service::Service<Request<B>> for Server<H>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle(request).await) })
    }
}

/// Takes a session out of the table when its driver ends.
struct RemoveOnDrop<'a, C> {
    sessions: &'a Mutex<Sessions<C>>,
    sid: Sid,
}

impl<C> Drop for RemoveOnDrop<'_, C> {
    fn drop(&mut self) {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.sid);
        tracing::trace!("session removed");
    }
}

/// Whether the request asks to switch to WebSocket.
fn is_websocket_upgrade(head: &RequestHead) -> bool {
    head.headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Resolves once the server is told to stop.
pub(super) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which is a stop too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

//! The server's options, set with builder methods.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use engineio_protocol::{ErrorCode, Transport};
use http::HeaderMap;

use crate::cors::Cors;
use crate::session::SessionConfig;

/// The request an `allow_request` or header hook looks at: method, URI,
/// headers (the body is not read yet).
pub type RequestHead = http::request::Parts;

/// A refused request, as the `connection_error` hook sees it (Node's
/// `connection_error` event).
#[derive(Debug, Clone)]
pub struct ConnectionError {
    /// The request's method, URI and headers.
    pub method: http::Method,
    /// The request's URI.
    pub uri: http::Uri,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The engine.io error code answered.
    pub code: ErrorCode,
    /// The message answered.
    pub message: String,
    /// What was wrong, in more detail than the client is told.
    pub context: String,
}

/// A refusal from the `allow_request` hook: the client gets
/// [`ErrorCode::Forbidden`] (HTTP 403) with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The message in the JSON body.
    pub message: String,
}

impl Refusal {
    /// A refusal with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

type AllowRequest = Arc<
    dyn Fn(&RequestHead) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send>> + Send + Sync,
>;
type HeadersHook = Arc<dyn Fn(&RequestHead, &mut HeaderMap) + Send + Sync>;
type ErrorHook = Arc<dyn Fn(&ConnectionError) + Send + Sync>;
type Responder =
    Arc<dyn Fn(&RequestHead) -> Option<http::Response<crate::ResponseBody>> + Send + Sync>;

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax` (the default).
    Lax,
    /// `SameSite=None`.
    None,
}

/// The cookie that carries the sid, set on the handshake response (Node's
/// `cookie` option, off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name (default `io`).
    pub name: String,
    /// Its `Path` (default `/`).
    pub path: String,
    /// Whether it has `HttpOnly` (default true).
    pub http_only: bool,
    /// Its `SameSite` (default lax).
    pub same_site: SameSite,
    /// Whether it has `Secure` (default false).
    pub secure: bool,
    /// Its `Domain` (default none).
    pub domain: Option<String>,
    /// Its `Max-Age`, in whole seconds (default none: a session cookie).
    pub max_age: Option<Duration>,
}

impl Default for Cookie {
    fn default() -> Self {
        Self {
            name: "io".to_owned(),
            path: "/".to_owned(),
            http_only: true,
            same_site: SameSite::Lax,
            secure: false,
            domain: None,
            max_age: None,
        }
    }
}

impl Cookie {
    /// The `Set-Cookie` value, its attributes in the order Node's `cookie`
    /// package writes them.
    pub(crate) fn header_value(&self, sid: &str) -> String {
        let mut value = format!("{}={}", self.name, sid);
        if let Some(max_age) = self.max_age {
            value.push_str(&format!("; Max-Age={}", max_age.as_secs()));
        }
        if let Some(domain) = &self.domain {
            value.push_str(&format!("; Domain={domain}"));
        }
        value.push_str(&format!("; Path={}", self.path));
        if self.http_only {
            value.push_str("; HttpOnly");
        }
        if self.secure {
            value.push_str("; Secure");
        }
        value.push_str(match self.same_site {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        });
        value
    }
}

/// How the server runs: timings, limits, transports and HTTP hooks.
///
/// Every option has a builder method; the defaults are Node's engine.io
/// defaults except the path.
///
/// ```
/// use std::time::Duration;
/// use engineio_server::Config;
///
/// let config = Config::default()
///     .path("/engine.io/")
///     .ping_interval(Duration::from_secs(10))
///     .max_payload(64 * 1024)
///     .allow_eio3(true);
/// assert_eq!(config.session().max_payload, 64 * 1024);
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) path: String,
    pub(crate) session: SessionConfig,
    pub(crate) transports: Vec<Transport>,
    pub(crate) allow_eio3: bool,
    pub(crate) cors: Option<Cors>,
    pub(crate) cookie: Option<Cookie>,
    pub(crate) compression_threshold: Option<usize>,
    pub(crate) ws_read_buffer_size: usize,
    pub(crate) ws_write_buffer_size: usize,
    pub(crate) listen_backlog: u32,
    pub(crate) http_header_timeout: Option<Duration>,
    pub(crate) body_timeout: Duration,
    pub(crate) max_body_chunks: usize,
    pub(crate) max_connections: Option<usize>,
    pub(crate) allow_request: Option<AllowRequest>,
    pub(crate) responder: Option<Responder>,
    pub(crate) initial_headers: Option<HeadersHook>,
    pub(crate) headers: Option<HeadersHook>,
    pub(crate) connection_error: Option<ErrorHook>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: "/engine.io/".to_owned(),
            session: SessionConfig::default(),
            transports: vec![Transport::Polling, Transport::Websocket],
            allow_eio3: false,
            cors: None,
            cookie: None,
            compression_threshold: Some(1024),
            ws_read_buffer_size: 512,
            ws_write_buffer_size: 4 * 1024,
            listen_backlog: 1024,
            http_header_timeout: Some(Duration::from_secs(60)),
            body_timeout: Duration::from_secs(30),
            max_body_chunks: 10_000,
            max_connections: None,
            allow_request: None,
            responder: None,
            initial_headers: None,
            headers: None,
            connection_error: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("session", &self.session)
            .field("transports", &self.transports)
            .field("allow_eio3", &self.allow_eio3)
            .field("cors", &self.cors)
            .field("cookie", &self.cookie)
            .field("compression_threshold", &self.compression_threshold)
            .field("ws_read_buffer_size", &self.ws_read_buffer_size)
            .field("ws_write_buffer_size", &self.ws_write_buffer_size)
            .field("listen_backlog", &self.listen_backlog)
            .field("http_header_timeout", &self.http_header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_body_chunks", &self.max_body_chunks)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The path the server answers on (default `/engine.io/`; the socket.io
    /// layer uses `/socket.io/`). A trailing slash is optional in requests.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        self.path = path;
        self
    }

    /// Time between heartbeats (default 25 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.session.ping_interval = interval;
        self
    }

    /// How long to wait for a heartbeat's answer before closing the session
    /// with `ping timeout` (default 20 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.session.ping_timeout = timeout;
        self
    }

    /// How long an upgrade from polling to WebSocket may take (default 10 s).
    pub fn upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.session.upgrade_timeout = timeout;
        self
    }

    /// The largest message or polling body a client may send, in bytes
    /// (Node's `maxHttpBufferSize`, default 1 000 000). A larger POST gets
    /// HTTP 413, a larger WebSocket message closes the session.
    pub fn max_payload(mut self, bytes: u64) -> Self {
        self.session.max_payload = bytes;
        self
    }

    /// The hard bound of each session's outgoing buffer, in bytes of
    /// message data (default 32 MiB): a send past it closes the session
    /// with `transport buffer full` at once. It bounds what a client that
    /// stops reading may cost; Node's buffer is unbounded.
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.session.max_buffered_bytes = bytes;
        self
    }

    /// How far a client may fall behind, and for how long (default 1 MiB
    /// for 30 s): a client with more than `bytes` unread has `timeout` to
    /// come back under it, or its session closes with `transport buffer
    /// full`. Bursts of legal traffic pass; a client that stopped reading
    /// goes. Volatile messages are dropped while a client is past `bytes`.
    pub fn lag(mut self, bytes: usize, timeout: Duration) -> Self {
        self.session.lag_bytes = bytes;
        self.session.lag_timeout = timeout;
        self
    }

    /// The transports clients may use (default polling and WebSocket).
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.transports = transports.into_iter().collect();
        self
    }

    /// Whether polling sessions may upgrade to WebSocket (default true).
    pub fn allow_upgrades(mut self, allow: bool) -> Self {
        self.session.allow_upgrades = allow;
        self
    }

    /// Whether clients of protocol v3 (engine.io-client 3.x, socket.io 2.x)
    /// are served (default false, as in Node).
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.allow_eio3 = allow;
        self
    }

    /// Cross-origin requests: which origins, credentials, preflight (off by
    /// default: no CORS headers).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sets the sid cookie on handshake responses (off by default).
    pub fn cookie(mut self, cookie: Cookie) -> Self {
        self.cookie = Some(cookie);
        self
    }

    /// Compresses polling responses of at least `threshold` bytes with gzip
    /// or deflate when the client accepts it (default 1024), or never with
    /// `None`.
    pub fn http_compression(mut self, threshold: Option<usize>) -> Self {
        self.compression_threshold = threshold;
        self
    }

    /// How many connections the kernel may hold, handshake done, until
    /// [`Server::listen`](crate::Server::listen) accepts them (default
    /// 1 024). A burst beyond the queue costs its clients a SYN retry a
    /// second later: Node asks for 511, tokio's and std's `bind` for 128;
    /// 1 024 takes a thousand clients reconnecting at once. A queued
    /// connection costs kernel memory only while it waits. Linux caps the
    /// queue at `net.core.somaxconn` (4 096 on recent kernels).
    pub fn listen_backlog(mut self, backlog: u32) -> Self {
        self.listen_backlog = backlog;
        self
    }

    /// How long a connection of [`Server::listen`](crate::Server::listen)
    /// may take to send a request's headers before it is closed (default
    /// 60 s, Node's `headersTimeout`; `None`: no limit). Against slowloris:
    /// a client that trickles its headers holds a connection no longer.
    /// Applies to HTTP/1.1, from the first byte of each request.
    pub fn http_header_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http_header_timeout = timeout;
        self
    }

    /// How many connections [`Server::listen`](crate::Server::listen) keeps
    /// open at once, all its listeners together (default `None`: no limit,
    /// as Node's `maxConnections`). One more is closed as soon as it is
    /// accepted; each HTTP/1.1 connection, WebSocket or not, counts one.
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// How long a polling POST may take to send its whole body (default
    /// 30 s, engine.io's `httpRequestBodyTimeout`). Past it the client gets
    /// 408 and the session closes with `transport error`.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How many pieces a polling POST's body may come in (default 10 000,
    /// engine.io's `maxBufferedChunks`): a body sent a byte at a time costs
    /// far more than its size. Past it the client gets 413 and the session
    /// closes with `transport error`.
    pub fn max_body_chunks(mut self, chunks: usize) -> Self {
        self.max_body_chunks = chunks;
        self
    }

    /// The WebSocket read buffer per connection, allocated with it and kept
    /// for its whole life (default 512 bytes; tungstenite's own default is
    /// 128 KiB, too much for many idle connections). A frame larger than
    /// the buffer still arrives whole: the buffer grows to the frame. A
    /// larger buffer takes more frames per read when clients send many
    /// small frames at once (4 KiB: about 30 frames of 100 bytes per read
    /// instead of 4), at that cost for every connection.
    pub fn ws_read_buffer_size(mut self, bytes: usize) -> Self {
        self.ws_read_buffer_size = bytes;
        self
    }

    /// How many bytes of WebSocket frames are gathered before a write
    /// (default 4 KiB).
    pub fn ws_write_buffer_size(mut self, bytes: usize) -> Self {
        self.ws_write_buffer_size = bytes;
        self
    }

    /// How long a session closed by the server waits for a polling request
    /// to carry its CLOSE packet (default 30 s, Node's `closeTimeout`).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.session.close_timeout = timeout;
        self
    }

    /// A responder that sees every request first and may answer it instead
    /// of the engine (the socket.io layer serves its client bundle so).
    /// Its responses get the CORS headers and the `headers` hook, as the
    /// engine's own do.
    pub fn respond_first(
        mut self,
        responder: impl Fn(&RequestHead) -> Option<http::Response<crate::ResponseBody>>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.responder = Some(Arc::new(responder));
        self
    }

    /// A hook that may refuse a handshake (Node's `allowRequest`): the
    /// client gets HTTP 403 with the refusal's message.
    pub fn allow_request(
        mut self,
        hook: impl Fn(&RequestHead) -> Result<(), Refusal> + Send + Sync + 'static,
    ) -> Self {
        self.allow_request = Some(Arc::new(move |head| {
            let verdict = hook(head);
            Box::pin(std::future::ready(verdict))
        }));
        self
    }

    /// As [`Config::allow_request`], for a hook that must wait (a database,
    /// another service). It looks at the request at once and returns a
    /// future that owns what it needs:
    ///
    /// ```
    /// use engineio_server::{Config, Refusal};
    ///
    /// async fn token_is_valid(token: Option<String>) -> bool {
    ///     token.is_some()
    /// }
    ///
    /// let config = Config::default().allow_request_async(|head| {
    ///     let token = head
    ///         .headers
    ///         .get("x-token")
    ///         .and_then(|v| v.to_str().ok())
    ///         .map(str::to_owned);
    ///     async move {
    ///         match token_is_valid(token).await {
    ///             true => Ok(()),
    ///             false => Err(Refusal::new("no token")),
    ///         }
    ///     }
    /// });
    /// # let _ = config;
    /// ```
    pub fn allow_request_async<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestHead) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Refusal>> + Send + 'static,
    {
        self.allow_request = Some(Arc::new(move |head| Box::pin(hook(head))));
        self
    }

    /// A hook that adds headers to the handshake response (Node's
    /// `initial_headers` event).
    pub fn on_initial_headers(
        mut self,
        hook: impl Fn(&RequestHead, &mut HeaderMap) + Send + Sync + 'static,
    ) -> Self {
        self.initial_headers = Some(Arc::new(hook));
        self
    }

    /// A hook that adds headers to every response, the WebSocket upgrade
    /// included (Node's `headers` event).
    pub fn on_headers(
        mut self,
        hook: impl Fn(&RequestHead, &mut HeaderMap) + Send + Sync + 'static,
    ) -> Self {
        self.headers = Some(Arc::new(hook));
        self
    }

    /// A hook told of every refused request (Node's `connection_error`).
    pub fn on_connection_error(
        mut self,
        hook: impl Fn(&ConnectionError) + Send + Sync + 'static,
    ) -> Self {
        self.connection_error = Some(Arc::new(hook));
        self
    }

    /// The session settings these options give.
    pub fn session(&self) -> &SessionConfig {
        &self.session
    }

    /// The path the server answers on, with a trailing slash.
    pub fn path_prefix(&self) -> &str {
        &self.path
    }
}

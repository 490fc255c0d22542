//! A running session: the [`Session`] state machine behind a lock, the
//! wake-ups of its transports, and the [`Socket`] handle the layer above
//! sends with.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use engineio_protocol::{ProtocolVersion, Transport};
use http::{HeaderMap, HeaderValue, Uri};
use tokio::sync::{watch, Notify};

use crate::session::{Event, Session};
use crate::signal::Signal;
use crate::stats::Stats;
use crate::{CloseReason, Connection, Error, OutgoingMessage, Sid};

/// The handshake request of a session, as the layer above may want it
/// (socket.io's `handshake`: headers, query, address, ...).
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The URI, with the query string.
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The client's address, when the server knows it (always with
    /// [`Server::listen`](crate::Server::listen); when mounted, from a
    /// [`RemoteAddr`](crate::RemoteAddr) request extension).
    pub remote_addr: Option<SocketAddr>,
    /// When the handshake happened.
    pub time: std::time::SystemTime,
}

impl RequestInfo {
    /// The request as the session keeps it: copies of its URI and header
    /// values. hyper's own share the connection's read buffer (8 KiB or
    /// more), which would otherwise stay allocated for the session's life.
    pub(crate) fn detached(
        uri: &Uri,
        headers: &HeaderMap,
        remote_addr: Option<SocketAddr>,
    ) -> Self {
        let uri = uri.to_string().parse().unwrap_or_else(|_| uri.clone());
        let mut copy = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            let mut owned =
                HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            owned.set_sensitive(value.is_sensitive());
            copy.append(name.clone(), owned);
        }
        Self {
            uri,
            headers: copy,
            remote_addr,
            time: std::time::SystemTime::now(),
        }
    }
}

/// The state behind one lock: the session and the driver's bookkeeping.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) session: Session,
    /// Some thread is delivering this session's events.
    dispatching: bool,
    /// When the driver task will next wake by itself.
    driver_deadline: Option<Instant>,
    /// The latest WebSocket of the session; older ones must stand down.
    ws_generation: u64,
    /// Wakes the latest WebSocket's task: each WebSocket has its own, so
    /// that an older one never takes the wake-ups of the newer.
    ws_signal: Arc<Signal>,
    /// Why the WebSocket's reading gave up, as the close frame it sends
    /// last (RFC 6455: 1009 too big, 1007 not UTF-8, 1002 protocol
    /// error).
    pub(crate) ws_close_frame: Option<(u16, &'static str)>,
}

impl State {
    /// Gives a new WebSocket of this session its generation and its
    /// wake-up; the WebSocket before it is woken to see that it must stand
    /// down.
    pub(crate) fn new_ws_generation(&mut self) -> (u64, Arc<Signal>) {
        self.ws_generation += 1;
        let older = std::mem::take(&mut self.ws_signal);
        older.notify();
        (self.ws_generation, self.ws_signal.clone())
    }

    /// The generation of the session's latest WebSocket.
    pub(crate) fn ws_generation(&self) -> u64 {
        self.ws_generation
    }
}

/// What every holder of a session shares.
#[derive(Debug)]
pub(crate) struct Core {
    sid: Sid,
    version: ProtocolVersion,
    request: RequestInfo,
    /// Whether polling responses may carry binary (v3: the handshake had no
    /// `b64`); decided once for the session's life, as Node decides it.
    supports_binary: bool,
    state: Mutex<State>,
    /// Wakes a pending polling GET.
    pub(crate) poll_wake: Notify,
    /// Wakes the session's driver (timers, events, close).
    pub(crate) driver_wake: Signal,
    /// Becomes true when the session is over: a transport stuck writing to
    /// a client that does not read then drops its connection.
    pub(crate) ended: watch::Sender<bool>,
    /// The session's span: everything logged about it carries its sid.
    pub(crate) span: tracing::Span,
    /// The server's counters.
    stats: Arc<Stats>,
}

impl Core {
    pub(crate) fn new(
        session: Session,
        request: RequestInfo,
        supports_binary: bool,
        stats: Arc<Stats>,
    ) -> Self {
        let span = tracing::debug_span!("engineio_session", sid = %session.sid());
        Self {
            span,
            sid: session.sid().clone(),
            version: session.version(),
            request,
            supports_binary,
            state: Mutex::new(State {
                session,
                dispatching: false,
                driver_deadline: None,
                ws_generation: 0,
                ws_signal: Arc::default(),
                ws_close_frame: None,
            }),
            poll_wake: Notify::new(),
            driver_wake: Signal::default(),
            ended: watch::channel(false).0,
            stats,
        }
    }

    pub(crate) fn sid(&self) -> &Sid {
        &self.sid
    }

    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub(crate) fn supports_binary(&self) -> bool {
        self.supports_binary
    }

    /// The lock; a panic elsewhere does not make the session unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a packet from the client or a send, with the lock held: the
    /// transports may have packets to send; the driver is woken only if the
    /// session closed or now has an earlier deadline than the one it sleeps
    /// until.
    pub(crate) fn wake_after_input(&self, state: &State) {
        self.poll_wake.notify_one();
        state.ws_signal.notify();
        let earlier = match (state.session.poll_timeout(), state.driver_deadline) {
            (Some(new), Some(old)) => new < old,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if earlier || state.session.close_reason().is_some() {
            self.driver_wake.notify();
        }
    }

    /// After anything else: wake the transports and the driver. Takes the
    /// lock, so the caller must not hold it.
    pub(crate) fn wake_all(&self) {
        self.wake_transports();
        self.driver_wake.notify();
    }

    /// Wakes a waiting GET and the latest WebSocket. Takes the lock.
    pub(crate) fn wake_transports(&self) {
        self.poll_wake.notify_one();
        self.lock().ws_signal.notify();
    }
}

/// A handle on one session, to send to its client and to close it.
///
/// Cheap to clone. Sending queues the message and wakes the transport; it
/// never waits for the client.
#[derive(Clone)]
pub struct Socket {
    core: Arc<Core>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("sid", self.core.sid())
            .field("version", &self.core.version())
            .finish_non_exhaustive()
    }
}

impl Socket {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The session id.
    pub fn sid(&self) -> &Sid {
        self.core.sid()
    }

    /// The engine.io protocol version of the client (3 or 4).
    pub fn protocol(&self) -> ProtocolVersion {
        self.core.version()
    }

    /// The transport that carries the session now.
    pub fn transport(&self) -> Transport {
        self.core.lock().session.transport()
    }

    /// The handshake request.
    pub fn request(&self) -> &RequestInfo {
        &self.core.request
    }

    /// Whether the session is open (not closing or closed).
    pub fn is_connected(&self) -> bool {
        self.core.lock().session.close_reason().is_none()
    }

    /// Queues a message for the client: a [`Message`](engineio_protocol::Message),
    /// or an [`OutgoingMessage`] shared with other sessions.
    ///
    /// Fails with [`Error::Closed`] once the session is closing, and with
    /// [`Error::BufferFull`] (closing the session) when the client has
    /// stopped reading: the outgoing buffer is at its hard bound
    /// ([`Config::max_buffered_bytes`](crate::Config::max_buffered_bytes)).
    /// A client that lags past its lag bound has its lag timeout to catch
    /// up ([`Config::lag`](crate::Config::lag)).
    pub fn send(&self, message: impl Into<OutgoingMessage>) -> Result<(), Error> {
        let message = message.into();
        let len = message.len();
        let mut state = self.core.lock();
        let result = state.session.send(message, crate::clock::now());
        if result.is_ok() {
            self.core
                .stats
                .messages_out(state.session.transport(), 1, len);
        }
        self.core.wake_after_input(&state);
        result
    }

    /// Queues several messages that must stay together and in order (all or
    /// none), as [`Socket::send`] does for one.
    pub fn send_all(&self, messages: &[OutgoingMessage]) -> Result<(), Error> {
        let mut state = self.core.lock();
        let result = state.session.send_all(messages, crate::clock::now());
        if result.is_ok() {
            let len = messages.iter().map(OutgoingMessage::len).sum();
            self.core
                .stats
                .messages_out(state.session.transport(), messages.len(), len);
        }
        self.core.wake_after_input(&state);
        result
    }

    /// Queues messages only if the client is within its lag bound;
    /// otherwise drops them and returns false (volatile packets: a slow
    /// client misses them instead of being disconnected).
    pub fn send_volatile(&self, messages: &[OutgoingMessage]) -> bool {
        let mut state = self.core.lock();
        let len = messages.iter().map(OutgoingMessage::len).sum();
        if !state.session.has_room_for(len) {
            return false;
        }
        let sent = state
            .session
            .send_all(messages, crate::clock::now())
            .is_ok();
        if sent {
            self.core
                .stats
                .messages_out(state.session.transport(), messages.len(), len);
        }
        self.core.wake_after_input(&state);
        sent
    }

    /// Closes the session: what is queued is sent, then a CLOSE packet; the
    /// connection hears `forced close`.
    pub fn close(&self) {
        self.close_with(CloseReason::ForcedClose);
    }

    pub(crate) fn close_with(&self, reason: CloseReason) {
        self.core.lock().session.close(reason, crate::clock::now());
        self.core.wake_all();
    }
}

/// Runs an application callback; a panic in it is logged and goes no
/// further, so it cannot take the transport's task (or other sessions)
/// down with it.
fn guarded(callback: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback)).is_err() {
        tracing::error!("a connection callback panicked");
    }
}

/// Clears the `dispatching` flag if a callback panics.
struct DispatchGuard<'a>(&'a Core);

impl Drop for DispatchGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().dispatching = false;
        }
    }
}

/// A session as the server keeps it: the shared core and the application's
/// connection object.
pub(crate) struct Entry<C> {
    pub(crate) core: Arc<Core>,
    conn: Mutex<Option<C>>,
}

impl<C: Connection> Entry<C> {
    pub(crate) fn new(core: Arc<Core>, conn: C) -> Self {
        Self {
            core,
            conn: Mutex::new(Some(conn)),
        }
    }

    /// Delivers the session's pending events, in order, to the connection.
    ///
    /// Whoever fed the session an input calls this. If another thread is
    /// already delivering, it returns at once: that thread picks the new
    /// events up, because the flag and the queue share one lock.
    pub(crate) fn dispatch(&self) {
        {
            let mut state = self.core.lock();
            if state.dispatching {
                return;
            }
            state.dispatching = true;
        }
        // If a callback panics, the flag must not stay set, or the session
        // would never hear of anything again.
        let _guard = DispatchGuard(&self.core);
        // The connection is taken out while its callbacks run, so that no
        // lock of ours is held around application code; the `dispatching`
        // flag keeps every other thread away from it meanwhile.
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        loop {
            let event = {
                let mut state = self.core.lock();
                match state.session.poll_event() {
                    Some(event) => {
                        let stats = &self.core.stats;
                        match &event {
                            Event::Message(m) => {
                                stats.message_in(state.session.transport(), m.len())
                            }
                            Event::Upgraded => stats.upgrade(),
                            Event::Closed(reason) => {
                                stats.close(*reason, state.session.transport());
                            }
                        }
                        event
                    }
                    None => {
                        // Put back, and the flag cleared, under the lock
                        // that saw the queue empty, so no event can be left
                        // behind.
                        *self.conn.lock().unwrap_or_else(PoisonError::into_inner) = conn;
                        state.dispatching = false;
                        return;
                    }
                }
            };
            match event {
                Event::Message(message) => {
                    if let Some(conn) = conn.as_mut() {
                        guarded(|| conn.on_message(message));
                    }
                }
                Event::Upgraded => {
                    tracing::debug!("upgraded to websocket");
                    if let Some(conn) = conn.as_mut() {
                        guarded(|| conn.on_upgrade());
                    }
                }
                Event::Closed(reason) => {
                    tracing::debug!(%reason, "session closed");
                    if let Some(mut conn) = conn.take() {
                        guarded(|| conn.on_close(reason));
                    }
                    self.core.wake_all();
                }
            }
        }
    }

    /// Runs the timers that are due at `now` before a request acts on the
    /// session, so that the request sees the session as the clock says it
    /// is, however late the driver task wakes (a GET sent after the ping
    /// timeout finds the session closed).
    pub(crate) fn catch_up(&self, now: Instant) {
        {
            let mut state = self.core.lock();
            if state.session.poll_timeout().is_none_or(|at| at > now) {
                return;
            }
            state.session.handle_timeout(now);
        }
        self.dispatch();
        self.core.wake_all();
    }

    /// Runs the session's timers and delivers events that arise outside a
    /// transport (a send that hit the bound, a close from the application),
    /// until the session is fully closed.
    pub(crate) async fn drive(&self) {
        loop {
            let (deadline, linger) = {
                let mut state = self.core.lock();
                // Stay known while a GET in flight may still come for its
                // NOOP.
                let linger = state
                    .session
                    .late_get_until()
                    .filter(|&until| until > crate::clock::now());
                if linger.is_none() && state.session.is_closed() {
                    break;
                }
                let deadline = linger.or_else(|| state.session.poll_timeout());
                state.driver_deadline = deadline;
                (deadline, linger.is_some())
            };
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    if !linger {
                        self.core.lock().session.handle_timeout(crate::clock::now());
                        self.core.wake_transports();
                    }
                }
                () = self.core.driver_wake.notified() => {}
            }
            self.dispatch();
        }
        self.dispatch();
        self.core.ended.send_replace(true);
        // Let any transport still waiting see the end.
        self.core.wake_transports();
    }
}

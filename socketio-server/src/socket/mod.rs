//! A socket: one client's membership of one namespace.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_adapter::{
    AckSender as BroadcastAcks, BroadcastOptions, Handshake, PersistedSession, Room, SocketId,
};
use socketio_parser::{Packet, Value, RESERVED_EVENTS};
use tokio::sync::oneshot;

use crate::args::to_args;
use crate::client::{Client, ClientShared};
use crate::extract::HandlerContext;
use crate::handler::{run_now, AckSender, BoxFuture, ErasedHandler, ResultFuture};
use crate::namespace::Namespace;
use crate::operator::BroadcastOperator;
use crate::recovery::recoverable;

mod data;
mod emitters;
mod listeners;
mod outbound;
mod replay;

use crate::{DisconnectReason, Error};
pub use emitters::{SocketEmitter, TimeoutEmitter};
pub(crate) use outbound::encode;
pub(crate) use replay::offset_of;

type EventHandler = ErasedHandler<()>;
type DisconnectHandler = Arc<dyn Fn(Socket, DisconnectReason) -> BoxFuture + Send + Sync>;
type AnyHandler = Arc<dyn Fn(Socket, String, Vec<Value>) -> BoxFuture + Send + Sync>;
type PacketMiddleware = Arc<dyn Fn(Socket, Vec<Value>) -> ResultFuture<Vec<Value>> + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(Socket, Error) -> BoxFuture + Send + Sync>;

/// Names a listener added with [`Socket::on`], [`Socket::once`],
/// [`Socket::on_any`] or [`Socket::on_any_outgoing`], to remove it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

impl ListenerId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Who waits for the answer to an event sent with an ack id.
#[derive(Debug)]
pub(crate) enum AckWaiter {
    /// `emit_with_ack` on this socket.
    One(oneshot::Sender<Vec<Value>>),
    /// A broadcast with acks: every answer goes to the collector.
    Many(BroadcastAcks),
}

/// A handler of one event.
#[derive(Clone)]
struct Listener {
    id: ListenerId,
    handler: EventHandler,
    /// Added with [`Socket::once`]: removed before its first call.
    once: bool,
}

#[derive(Default)]
struct Handlers {
    /// Every event's handlers, in the order they were added: a list, not a
    /// map, since a socket has a few events and each costs less this way.
    events: Vec<(Box<str>, Listener)>,
    any: Vec<(ListenerId, AnyHandler)>,
    any_outgoing: Vec<(ListenerId, AnyHandler)>,
    middleware: Vec<PacketMiddleware>,
    error: Vec<ErrorHandler>,
    disconnecting: Vec<DisconnectHandler>,
    disconnect: Vec<DisconnectHandler>,
}

pub(crate) struct SocketInner {
    id: SocketId,
    ns: Namespace,
    client: Arc<ClientShared>,
    /// The auth of its CONNECT; the rest of the handshake is read from the
    /// engine's request when first asked for, so that a socket whose
    /// handshake nobody reads keeps no copy of the request.
    auth: Value,
    handshake: std::sync::OnceLock<Box<Handshake>>,
    handlers: Mutex<Handlers>,
    /// The events whose handlers were refused already (logged once).
    warned: Mutex<HashSet<String>>,
    acks: Mutex<HashMap<u64, AckWaiter>>,
    data: Mutex<Option<Box<dyn data::SocketData>>>,
    /// The private session id, with connection state recovery on.
    pid: Option<String>,
    /// Whether this socket is a recovered session.
    recovered: bool,
    /// Whether `any_outgoing` has listeners, so that broadcasts need not
    /// take the lock to find out.
    watches_outgoing: AtomicBool,
    connected: AtomicBool,
    /// Broadcasts held while a recovered socket's missed packets are sent.
    replay: replay::Replay,
}

/// A client's connection to one namespace (Node's `Socket`).
///
/// Cheap to clone; every clone is the same socket.
#[derive(Clone)]
pub struct Socket(Arc<SocketInner>);

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.0.id)
            .field("nsp", &self.0.ns.name())
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Socket {
    pub(crate) fn new(
        id: SocketId,
        ns: Namespace,
        client: Arc<ClientShared>,
        auth: Value,
        pid: Option<String>,
        recovered: bool,
    ) -> Self {
        Self(Arc::new(SocketInner {
            id,
            ns,
            client,
            auth,
            handshake: std::sync::OnceLock::new(),
            handlers: Mutex::new(Handlers::default()),
            warned: Mutex::new(HashSet::new()),
            acks: Mutex::new(HashMap::new()),
            data: Mutex::new(None),
            pid,
            recovered,
            watches_outgoing: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            replay: replay::Replay::default(),
        }))
    }

    /// The socket's id: unguessable, and not the engine.io session id.
    pub fn id(&self) -> &SocketId {
        &self.0.id
    }

    /// The namespace the socket belongs to.
    pub fn namespace(&self) -> &Namespace {
        &self.0.ns
    }

    pub(crate) fn namespace_name(&self) -> engineio_protocol::Str {
        self.0.ns.name_str()
    }

    /// The engine.io connection under the socket (Node's `socket.conn`):
    /// its transport, and `close()` to drop the whole connection as a
    /// network failure would (the client then reconnects).
    pub fn conn(&self) -> &engineio_server::Socket {
        self.0.client.engine()
    }

    /// The handshake: headers, query, auth, address, time, url.
    pub fn handshake(&self) -> &Handshake {
        self.0.handshake.get_or_init(|| {
            Box::new(crate::handshake::build(
                self.0.client.engine().request(),
                self.0.auth.clone(),
            ))
        })
    }

    /// Whether this socket is a session brought back by connection state
    /// recovery: same id, rooms and data as before its client lost the
    /// connection, and the packets it missed were sent again.
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    pub(crate) fn pid(&self) -> Option<&str> {
        self.0.pid.as_deref()
    }

    /// Whether the socket is still in its namespace.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// The rooms the socket is in, its own id's room included.
    pub fn rooms(&self) -> HashSet<Room> {
        self.0.ns.adapter().socket_rooms(&self.0.id)
    }

    /// Sends `event` with `args`: a tuple is several arguments, `()` none,
    /// any other value (a `Vec` included) one; `bytes::Bytes` anywhere
    /// inside goes as binary.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        check_event(event)?;
        tracing::trace!(socket = %self.0.id, event, "event out");
        let packet = Packet::event(self.namespace_name(), event, to_args(&args)?, None);
        self.emit_event(packet, false)
    }

    /// An emit to this client only that may be dropped if the client is not
    /// ready for it (its buffer is full).
    pub fn volatile(&self) -> SocketEmitter<'_> {
        SocketEmitter {
            socket: self,
            volatile: true,
        }
    }

    /// An emit to this client only. The flag is kept for Node's API:
    /// polling responses are compressed by size (see the engine's
    /// `http_compression`), and WebSocket frames are never compressed.
    pub fn compress(&self, _compress: bool) -> SocketEmitter<'_> {
        SocketEmitter {
            socket: self,
            volatile: false,
        }
    }

    /// Sends `event` with `args` and waits for the client's answer, read
    /// as `T` (Node's `emitWithAck` without a timeout): it waits until the
    /// answer comes, or fails with [`Error::Disconnected`] once the socket
    /// leaves. See [`Socket::timeout`] to bound the wait.
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, Error> {
        emitters::request_ack(self, event, &args, None).await
    }

    /// Sends `event` and waits for the client's answer, decoded as `T`
    /// (a tuple or `Vec` of the answer's arguments).
    pub fn timeout(&self, timeout: Duration) -> TimeoutEmitter<'_> {
        TimeoutEmitter {
            socket: self,
            timeout,
        }
    }

    /// Adds the socket to `rooms`.
    pub fn join<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        let rooms: Vec<Room> = rooms.into_iter().map(Into::into).collect();
        tracing::debug!(socket = %self.0.id, ?rooms, "join");
        self.0.ns.adapter().add_all(&self.0.id, &rooms);
    }

    /// Takes the socket out of every room in `rooms`.
    pub fn leave_all<R: Into<Room>>(&self, rooms: impl IntoIterator<Item = R>) {
        for room in rooms {
            self.leave(room);
        }
    }

    /// Takes the socket out of `room`.
    pub fn leave(&self, room: impl Into<Room>) {
        let room = room.into();
        tracing::debug!(socket = %self.0.id, %room, "leave");
        self.0.ns.adapter().del(&self.0.id, &room);
    }

    /// A broadcast to `room`, leaving this socket out.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// The same as [`Socket::to`] (Node's `in`).
    pub fn within(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// A broadcast to every socket of the namespace but this one and those
    /// in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// A broadcast to the other sockets of this server only.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// A broadcast to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        let mut opts = BroadcastOptions::default();
        opts.except.insert(Room::from(&self.0.id));
        BroadcastOperator::new(self.0.ns.clone(), opts)
    }

    /// Leaves the namespace (the client hears DISCONNECT). With `close`, the
    /// whole connection is closed too.
    pub fn disconnect(&self, close: bool) {
        if close {
            self.0.client.disconnect_all();
            return;
        }
        if self.connected() {
            let packet = Packet::Disconnect {
                nsp: self.namespace_name(),
            };
            let _ = self.send_packet(&packet);
            self.close(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    pub(crate) fn shared_client(&self) -> &Arc<ClientShared> {
        &self.0.client
    }

    /// The client this socket belongs to (Node's `socket.client`): its
    /// connection, its handshake request, and its sockets on other
    /// namespaces.
    pub fn client(&self) -> Client {
        Client::new(self.0.client.clone())
    }

    pub(crate) fn register_ack(&self, id: u64, waiter: AckWaiter) {
        lock(&self.0.acks).insert(id, waiter);
    }

    /// Marks the socket as in its namespace.
    pub(crate) fn set_connected(&self) {
        self.0.connected.store(true, Ordering::Release);
    }

    /// Tells the socket's error handlers of `error` (Node's
    /// `socket.on("error")`).
    pub(crate) fn handle_error(&self, error: Error) {
        let handlers = lock(&self.0.handlers).error.clone();
        for handler in handlers {
            run_now(handler(self.clone(), error.clone()));
        }
    }

    /// An event from the client: packet middleware, then its listeners.
    pub(crate) fn handle_event(&self, data: Vec<Value>, id: Option<u64>) {
        let middleware = lock(&self.0.handlers).middleware.clone();
        if middleware.is_empty() {
            self.dispatch(data, id);
            return;
        }
        let socket = self.clone();
        run_now(async move {
            let mut data = data;
            for layer in middleware {
                match layer(socket.clone(), data).await {
                    Ok(changed) => data = changed,
                    Err(e) => {
                        tracing::debug!(id = %socket.0.id, error = %e, "packet refused by middleware");
                        socket.handle_error(e);
                        return;
                    }
                }
            }
            if socket.connected() {
                socket.dispatch(data, id);
            }
        });
    }

    /// Runs the `any` listeners, then those of the event, in order.
    fn dispatch(&self, mut data: Vec<Value>, id: Option<u64>) {
        if data.is_empty() {
            return;
        }
        let Value::String(name) = data.remove(0) else {
            return;
        };
        tracing::trace!(socket = %self.0.id, event = %name, args = data.len(), ack = ?id, "event in");
        let (any, handlers) = {
            let mut handlers = lock(&self.0.handlers);
            let any: Vec<AnyHandler> = handlers.any.iter().map(|(_, h)| h.clone()).collect();
            let mut once = false;
            let listeners: Vec<EventHandler> = handlers
                .events
                .iter()
                .filter(|(event, _)| **event == *name)
                .map(|(_, l)| {
                    once |= l.once;
                    l.handler.clone()
                })
                .collect();
            if once {
                // A `once` handler is gone before it runs, as in Node.
                handlers
                    .events
                    .retain(|(event, l)| !(l.once && **event == *name));
            }
            (any, listeners)
        };
        for listener in any {
            run_now(listener(self.clone(), name.clone(), data.clone()));
        }
        let ack = match id {
            Some(id) => AckSender::new(self.clone(), id),
            None => AckSender::none(),
        };
        let cx = HandlerContext::event(self.clone(), name, data, ack);
        for handler in handlers {
            match handler(&cx) {
                Ok(future) => run_now(future),
                Err(e) => self.handler_refused(cx.event_name().unwrap_or_default(), e),
            }
        }
    }

    /// The client answered an event we sent with an ack id.
    pub(crate) fn handle_ack(&self, id: u64, data: Vec<Value>) {
        tracing::trace!(socket = %self.0.id, id, args = data.len(), "ack in");
        let waiter = lock(&self.0.acks).remove(&id);
        match waiter {
            Some(AckWaiter::One(tx)) => {
                let _ = tx.send(data);
            }
            Some(AckWaiter::Many(acks)) => acks.answer(data),
            None => tracing::debug!(id, "ack for nothing pending"),
        }
    }

    /// Leaves the namespace: `disconnecting` handlers, rooms, tables, then
    /// `disconnect` handlers (Node's `_onclose`). Pending acks fail.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        if !self.0.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        let _span = tracing::debug_span!("socketio.disconnect", id = %self.0.id, nsp = %self.0.ns.name(), %reason).entered();
        tracing::debug!("socket disconnected");
        let (disconnecting, disconnect) = {
            let handlers = lock(&self.0.handlers);
            (handlers.disconnecting.clone(), handlers.disconnect.clone())
        };
        for handler in disconnecting {
            run_now(handler(self.clone(), reason));
        }
        if let Some(pid) = self.pid().filter(|_| recoverable(reason)) {
            self.persist(pid.to_owned());
        }
        self.0.ns.adapter().del_all(&self.0.id);
        self.0.ns.remove(&self.0.id);
        self.0.ns.metrics().socket_disconnected(&self.0.ns, reason);
        self.0.client.remove(self.0.ns.name());
        // Dropping the senders fails every `emit_with_ack` still waiting.
        lock(&self.0.acks).clear();
        for handler in disconnect {
            run_now(handler(self.clone(), reason));
        }
    }
}

impl Socket {
    /// Keeps the session for connection state recovery.
    fn persist(&self, pid: String) {
        let session = PersistedSession {
            sid: self.0.id.clone(),
            pid: pid.clone(),
            rooms: self.rooms(),
            data: self.data_value(),
        };
        if let Some(server) = self.0.ns.server() {
            if let Some(recovery) = server.recovery() {
                server
                    .expiries()
                    .start(recovery, self.0.ns.name(), self.0.id.clone(), pid);
            }
        }
        let adapter = self.0.ns.adapter().clone();
        // The in-memory adapter keeps it before this returns.
        run_now(async move {
            if let Err(e) = adapter.persist_session(session).await {
                tracing::warn!(error = %e, "session not kept for recovery");
            }
        });
    }
}

/// Refuses the event names the protocol reserves.
pub(crate) fn check_event(event: &str) -> Result<(), Error> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(Error::ReservedEvent(event.to_owned()));
    }
    Ok(())
}

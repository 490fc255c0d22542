//! Namespaces: the sockets of one name, their adapter, and the delivery
//! of broadcasts to local sockets (the adapter's [`LocalSockets`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock, Weak};
use std::time::Duration;

use engineio_protocol::Str;
use engineio_server::OutgoingMessage;
use serde::Serialize;
use socketio_adapter::{
    AckSender, Adapter, BroadcastFlags, BroadcastOptions, LocalSockets, Room, SocketDetails,
    SocketId,
};
use socketio_parser::{Packet, Parser, ProtocolVersion, Value};

use crate::dynamic::DynamicNamespace;
use crate::extract::HandlerContext;
use crate::handler::{erase, run_now, ErasedHandler, Handler};
use crate::operator::BroadcastOperator;
use crate::remote::RemoteSocket;
use crate::server::ServerInner;
use crate::socket::{encode, AckWaiter, Socket};
use crate::Error;

type ConnectionHandler = ErasedHandler<()>;
pub(crate) type Middleware = ErasedHandler<Result<(), Error>>;
type ServerSideHandler = Arc<dyn Fn(Vec<Value>, Option<AckSender>) + Send + Sync>;

/// The connection handlers and middlewares of a namespace; the children
/// of a dynamic namespace share their parent's.
#[derive(Default)]
pub(crate) struct NsHandlers {
    connection: RwLock<Vec<ConnectionHandler>>,
    middleware: RwLock<Vec<Middleware>>,
}

impl NsHandlers {
    pub(crate) fn on_connection<T, H: Handler<T, ()>>(&self, handler: H) {
        write(&self.connection).push(erase(handler));
    }

    pub(crate) fn middleware<T, H: Handler<T, Result<(), Error>>>(&self, middleware: H) {
        write(&self.middleware).push(erase(middleware));
    }
}

pub(crate) struct NsInner {
    name: Str,
    sockets: RwLock<HashMap<SocketId, Socket>>,
    adapter: OnceLock<Arc<dyn Adapter>>,
    handlers: Arc<NsHandlers>,
    /// The dynamic namespace this one was made for, if any.
    parent: Option<DynamicNamespace>,
    server: Weak<ServerInner>,
    /// How long a disconnected session may be recovered, when connection
    /// state recovery is on.
    recovery: Option<std::time::Duration>,
    server_side: RwLock<Vec<ServerSideHandler>>,
    /// Ack ids, shared by every socket so that a broadcast with acks is
    /// encoded once (as Node's `nsp._ids`).
    ack_ids: AtomicU64,
    parsers: Parsers,
    /// Where the server counts metrics.
    metrics: Arc<crate::metrics::Hooks>,
}

/// The encoders for each protocol revision.
#[derive(Clone)]
pub(crate) struct Parsers {
    pub(crate) v5: Arc<dyn Parser>,
    pub(crate) v4: Arc<dyn Parser>,
}

impl Parsers {
    pub(crate) fn get(&self, version: ProtocolVersion) -> &Arc<dyn Parser> {
        match version {
            ProtocolVersion::V5 => &self.v5,
            ProtocolVersion::V4 => &self.v4,
        }
    }
}

/// A namespace (Node's `Namespace`): `/` and those made with
/// [`Server::of`](crate::Server::of).
#[derive(Clone)]
pub struct Namespace(Arc<NsInner>);

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.name())
            .field("sockets", &self.socket_count())
            .finish_non_exhaustive()
    }
}

pub(crate) fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl Namespace {
    pub(crate) fn new(
        name: &str,
        server: &Arc<ServerInner>,
        parent: Option<DynamicNamespace>,
    ) -> Self {
        let handlers = parent
            .as_ref()
            .map_or_else(Arc::default, DynamicNamespace::handlers);
        let parsers = server.parsers().clone();
        let inner = Arc::new(NsInner {
            name: Str::from(name.to_owned()),
            sockets: RwLock::new(HashMap::new()),
            adapter: OnceLock::new(),
            handlers,
            parent,
            server: Arc::downgrade(server),
            recovery: server.recovery().map(|r| r.max_disconnection_duration),
            server_side: RwLock::new(Vec::new()),
            ack_ids: AtomicU64::new(0),
            parsers,
            metrics: server.metrics().clone(),
        });
        let local: Arc<dyn LocalSockets> = inner.clone();
        let adapter = server.adapters().create(Arc::downgrade(&local));
        // Start the adapter (a cluster adapter subscribes to its broker) in
        // the background: the namespace is usable at once, as in Node.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let adapter = adapter.clone();
                let nsp = name.to_owned();
                drop(runtime.spawn(async move {
                    if let Err(e) = adapter.init().await {
                        tracing::error!(nsp = %nsp, error = %e, "adapter did not start");
                    }
                }));
            }
            Err(_) => tracing::warn!(nsp = %name, "no tokio runtime: adapter not started"),
        }
        let _ = inner.adapter.set(adapter);
        let ns = Self(inner);
        if let Some(instrument) = server.instrument() {
            instrument.namespace_created(&ns);
        }
        ns
    }

    /// The namespace's name (`/`, `/chat`, ...).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn name_str(&self) -> Str {
        self.0.name.clone()
    }

    /// The namespace's adapter.
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        // Set in `new`, before the namespace is shared.
        self.0
            .adapter
            .get()
            .unwrap_or_else(|| unreachable!("the adapter is set at creation"))
    }

    /// Runs `handler` for each socket that joins the namespace, after the
    /// client has been told it is connected. The handler's parameters are
    /// extractors (see [`crate::extract`]): the [`Socket`],
    /// [`Data<T>`](crate::Data) for the auth payload,
    /// [`State<S>`](crate::State), ... Parameters that cannot be given (an
    /// auth payload that does not fit) keep it from being called, and are
    /// logged at WARN.
    pub fn on_connection<T, H: Handler<T, ()>>(&self, handler: H) {
        self.0.handlers.on_connection(handler);
    }

    /// Adds a middleware (Node's `namespace.use`): it runs for each client
    /// that asks to join, before the socket is connected, and may refuse
    /// it with an error; the client then gets CONNECT_ERROR with the
    /// error's message and data (see [`Error::refused`] and
    /// [`Error::with_data`]). Middlewares run in the order they were
    /// added; the first refusal stops the others. They take the same
    /// extractors as connection handlers; an auth payload that does not
    /// fit their [`Data<T>`](crate::Data) refuses the client with
    /// [`Error::InvalidData`]'s message.
    ///
    /// ```
    /// use serde::Deserialize;
    /// use socketio_server::{Data, Error, Server};
    ///
    /// #[derive(Deserialize)]
    /// struct Auth {
    ///     token: Option<String>,
    /// }
    ///
    /// let io = Server::builder().build();
    /// io.of("/admin").middleware(|Data(auth): Data<Auth>| async move {
    ///     match auth.token {
    ///         Some(_) => Ok(()),
    ///         None => Err(Error::refused("not authorized").with_data("login first")),
    ///     }
    /// });
    /// ```
    pub fn middleware<T, H: Handler<T, Result<(), Error>>>(&self, middleware: H) {
        self.0.handlers.middleware(middleware);
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        read(&self.0.handlers.middleware).clone()
    }

    /// Runs `handler` for each `server_side_emit` from another server: the
    /// arguments (`[event, ...args]`), and where to answer when asked.
    pub fn on_server_side_emit(
        &self,
        handler: impl Fn(Vec<Value>, Option<AckSender>) + Send + Sync + 'static,
    ) {
        write(&self.0.server_side).push(Arc::new(handler));
    }

    /// Hands a server-side emit to this server's own handlers.
    pub(crate) fn local_server_side_emit(&self, args: Vec<Value>, reply: Option<AckSender>) {
        LocalSockets::server_side_emit(&*self.0, args, reply);
    }

    /// The sockets connected to this namespace on this server.
    pub fn sockets(&self) -> Vec<Socket> {
        read(&self.0.sockets).values().cloned().collect()
    }

    /// The socket `id`, if it is connected here.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        read(&self.0.sockets).get(id).cloned()
    }

    /// How many sockets are connected to this namespace on this server.
    pub fn socket_count(&self) -> usize {
        read(&self.0.sockets).len()
    }

    /// The ids of the sockets of the namespace on this server (Node's
    /// `allSockets()`, once `clients()`).
    pub fn all_sockets(&self) -> HashSet<SocketId> {
        self.broadcast().all_sockets()
    }

    /// Sends `event` to every socket of the namespace.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        self.broadcast().emit(event, args)
    }

    /// A broadcast to every socket of the namespace, to narrow down.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone(), BroadcastOptions::default())
    }

    /// A broadcast to the sockets in `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// The same as [`Namespace::to`] (Node's `in`).
    pub fn within(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// A broadcast to every socket but those in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().except(room)
    }

    /// A broadcast that may be dropped for clients not ready for it.
    pub fn volatile(&self) -> BroadcastOperator {
        self.broadcast().volatile()
    }

    /// A broadcast to the sockets of this server only.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// A broadcast with the compress flag set as given.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.broadcast().compress(compress)
    }

    /// A broadcast to every socket of the namespace that waits for acks at
    /// most `timeout`: then [`BroadcastOperator::emit_with_ack`].
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.broadcast().timeout(timeout)
    }

    /// Every socket of the namespace, on every server (Node's
    /// `fetchSockets()`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, Error> {
        self.broadcast().fetch_sockets().await
    }

    /// Makes every socket of the namespace join `rooms`.
    pub async fn sockets_join<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        self.broadcast().sockets_join(rooms).await
    }

    /// Makes every socket of the namespace leave `rooms`.
    pub async fn sockets_leave<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        self.broadcast().sockets_leave(rooms).await
    }

    /// Disconnects every socket of the namespace; with `close`, their
    /// connections too.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        self.broadcast().disconnect_sockets(close).await
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.0.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn add(&self, socket: &Socket) {
        write(&self.0.sockets).insert(socket.id().clone(), socket.clone());
        self.adapter()
            .add_all(socket.id(), &[Room::from(socket.id())]);
    }

    pub(crate) fn remove(&self, id: &SocketId) {
        let empty = {
            let mut sockets = write(&self.0.sockets);
            sockets.remove(id);
            sockets.is_empty()
        };
        if empty && self.0.parent.is_some() {
            if let Some(server) = self.0.server.upgrade() {
                server.cleanup_child(self);
            }
        }
    }

    /// What metrics call this namespace: its name, or its dynamic
    /// parent's pattern for a child.
    pub(crate) fn metrics_label(&self) -> String {
        match &self.0.parent {
            Some(parent) => parent.metrics_label(),
            None => self.name().to_owned(),
        }
    }

    pub(crate) fn metrics(&self) -> &crate::metrics::Hooks {
        &self.0.metrics
    }

    /// Whether connection state recovery is on.
    pub(crate) fn recovery(&self) -> bool {
        self.0.recovery.is_some()
    }

    /// The server, unless it is being dropped.
    pub(crate) fn server(&self) -> Option<Arc<ServerInner>> {
        self.0.server.upgrade()
    }

    /// Whether both are the same namespace.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The dynamic namespace this one was made for, if any.
    pub(crate) fn parent(&self) -> Option<&DynamicNamespace> {
        self.0.parent.as_ref()
    }

    /// Tells the connection handlers of a new socket.
    pub(crate) fn connected(&self, socket: &Socket) {
        self.0.metrics.socket_connected(self);
        if let Some(server) = self.server() {
            if let Some(instrument) = server.instrument() {
                instrument.socket_connected(socket);
            }
        }
        let handlers = read(&self.0.handlers.connection).clone();
        let cx = HandlerContext::connection(socket.clone());
        for handler in handlers {
            match handler(&cx) {
                Ok(future) => run_now(future),
                Err(e) => socket.handler_refused("connection", e),
            }
        }
    }
}

impl NsInner {
    /// The sockets among `ids` that are here, with the packet's encoding
    /// for each one's protocol revision, encoded once per revision.
    fn each_target(
        &self,
        ids: &[SocketId],
        packet: &Packet,
        mut send: impl FnMut(&Socket, &[OutgoingMessage]) -> bool,
    ) {
        let mut encoded: [Option<Vec<OutgoingMessage>>; 2] = [None, None];
        // Outgoing listeners are user code: they run once the sockets' lock
        // is released (one may disconnect a socket, which takes it).
        let mut watchers = Vec::new();
        let mut reached = 0;
        {
            let sockets = read(&self.sockets);
            for id in ids {
                let Some(socket) = sockets.get(id) else {
                    continue;
                };
                let version = socket.shared_client().protocol();
                let slot = usize::from(version == ProtocolVersion::V5);
                let messages = encoded[slot]
                    .get_or_insert_with(|| encode(self.parsers.get(version).as_ref(), packet));
                if socket.watches_outgoing() {
                    watchers.push(socket.clone());
                }
                if send(socket, messages) {
                    reached += 1;
                }
            }
        }
        self.metrics.broadcast(reached);
        for socket in watchers {
            socket.notify_outgoing(packet);
        }
    }
}

impl LocalSockets for NsInner {
    fn namespace(&self) -> &str {
        &self.name
    }

    fn recovery(&self) -> Option<std::time::Duration> {
        self.recovery
    }

    fn deliver(&self, sockets: &[SocketId], packet: &Packet, flags: &BroadcastFlags) {
        tracing::trace!(nsp = %self.name, event = ?packet.event_name(), sockets = sockets.len(), "broadcast out");
        self.each_target(sockets, packet, |socket, messages| {
            socket.deliver(packet, messages, flags.volatile)
        });
    }

    fn deliver_with_ack(
        &self,
        sockets: &[SocketId],
        packet: &Packet,
        flags: &BroadcastFlags,
        acks: AckSender,
    ) -> usize {
        // A packet from another server has no id yet: it gets this
        // namespace's next one, as Node's does.
        let numbered;
        let packet = match packet {
            Packet::Event { id: None, .. } | Packet::BinaryEvent { id: None, .. } => {
                let mut copy = packet.clone();
                if let Packet::Event { id, .. } | Packet::BinaryEvent { id, .. } = &mut copy {
                    *id = Some(self.ack_ids.fetch_add(1, Ordering::Relaxed));
                }
                numbered = copy;
                &numbered
            }
            _ => packet,
        };
        let mut sent = 0;
        self.each_target(sockets, packet, |socket, messages| {
            if let Some(id) = packet.id() {
                socket.register_ack(id, AckWaiter::Many(acks.clone()));
            }
            let queued = socket.deliver(packet, messages, flags.volatile);
            sent += usize::from(queued);
            queued
        });
        sent
    }

    fn details(&self, sockets: &[SocketId]) -> Vec<SocketDetails> {
        // An instrumented server tells the admin UIs of the cluster each
        // socket's connection in `data._admin`, as Node's does.
        let instrumented = self
            .server
            .upgrade()
            .is_some_and(|server| server.instrument().is_some());
        let local = read(&self.sockets);
        sockets
            .iter()
            .filter_map(|id| local.get(id))
            .map(|socket| {
                let mut data = socket.data_value();
                if instrumented {
                    crate::admin::tag_connection(socket, &mut data);
                }
                SocketDetails {
                    id: socket.id().clone(),
                    rooms: socket.rooms(),
                    handshake: socket.handshake().clone(),
                    data,
                }
            })
            .collect()
    }

    fn disconnect(&self, sockets: &[SocketId], close: bool) {
        let targets: Vec<Socket> = {
            let local = read(&self.sockets);
            sockets
                .iter()
                .filter_map(|id| local.get(id).cloned())
                .collect()
        };
        for socket in targets {
            socket.disconnect(close);
        }
    }

    fn server_side_emit(&self, args: Vec<Value>, reply: Option<AckSender>) {
        let handlers = read(&self.server_side).clone();
        for handler in handlers {
            handler(args.clone(), reply.clone());
        }
    }
}

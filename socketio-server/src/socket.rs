//! A socket: one client's membership of one namespace.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_adapter::{AckSender, BroadcastOptions, Handshake, Room, SocketId};
use socketio_parser::{from_value, Packet, Value, RESERVED_EVENTS};
use tokio::sync::oneshot;

use crate::client::ClientShared;
use crate::handler::{run_now, to_args, Ack, BoxFuture};
use crate::namespace::Namespace;
use crate::operator::BroadcastOperator;
use crate::{DisconnectReason, Error};

type EventHandler = Arc<dyn Fn(Socket, Vec<Value>, Option<Ack>) -> BoxFuture + Send + Sync>;
type DisconnectHandler = Arc<dyn Fn(Socket, DisconnectReason) -> BoxFuture + Send + Sync>;

/// Who waits for the answer to an event sent with an ack id.
#[derive(Debug)]
pub(crate) enum AckWaiter {
    /// `emit_with_ack` on this socket.
    One(oneshot::Sender<Vec<Value>>),
    /// A broadcast with acks: every answer goes to the collector.
    Many(AckSender),
}

#[derive(Default)]
struct Handlers {
    events: HashMap<String, Vec<EventHandler>>,
    disconnecting: Vec<DisconnectHandler>,
    disconnect: Vec<DisconnectHandler>,
}

pub(crate) struct SocketInner {
    id: SocketId,
    ns: Namespace,
    client: Arc<ClientShared>,
    handshake: Handshake,
    handlers: Mutex<Handlers>,
    acks: Mutex<HashMap<u64, AckWaiter>>,
    connected: AtomicBool,
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Socket {
    pub(crate) fn new(
        id: SocketId,
        ns: Namespace,
        client: Arc<ClientShared>,
        handshake: Handshake,
    ) -> Self {
        Self(Arc::new(SocketInner {
            id,
            ns,
            client,
            handshake,
            handlers: Mutex::new(Handlers::default()),
            acks: Mutex::new(HashMap::new()),
            connected: AtomicBool::new(true),
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

    /// The handshake: headers, query, auth, address, time, url.
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// Whether the socket is still in its namespace.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// The rooms the socket is in, its own id's room included.
    pub fn rooms(&self) -> HashSet<Room> {
        self.0.ns.adapter().socket_rooms(&self.0.id)
    }

    /// Listens to `event`. The handler gets the socket, the arguments as
    /// `T` (a tuple, one element per argument, or a `Vec`), and the ack
    /// when the client asked for one. Several handlers of one event run in
    /// the order they were added. Arguments that do not fit `T` skip the
    /// handler (logged at debug level).
    pub fn on<T, F, Fut>(&self, event: &str, handler: F)
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Self, T, Option<Ack>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let name = event.to_owned();
        let erased: EventHandler = Arc::new(move |socket, args, ack| {
            match from_value::<T>(Value::Array(args)) {
                Ok(args) => Box::pin(handler(socket, args, ack)),
                Err(e) => {
                    tracing::debug!(event = %name, error = %e, "arguments do not fit the handler");
                    Box::pin(async {})
                }
            }
        });
        lock(&self.0.handlers)
            .events
            .entry(event.to_owned())
            .or_default()
            .push(erased);
    }

    /// Runs `handler` when the socket is about to leave (its rooms are
    /// still there).
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: Fn(Self, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        lock(&self.0.handlers)
            .disconnecting
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Runs `handler` once the socket has left.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: Fn(Self, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        lock(&self.0.handlers)
            .disconnect
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Sends `event` with `args` (a tuple: `()`, `(a,)`, `(a, b)`, ..., or a
    /// `Vec`); `bytes::Bytes` anywhere inside goes as binary.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        check_event(event)?;
        let packet = Packet::event(self.namespace_name(), event, to_args(&args)?, None);
        self.send_packet(&packet)
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
        self.0.ns.adapter().add_all(&self.0.id, &rooms);
    }

    /// Takes the socket out of `room`.
    pub fn leave(&self, room: impl Into<Room>) {
        self.0.ns.adapter().del(&self.0.id, &room.into());
    }

    /// A broadcast to `room`, leaving this socket out.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
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
            self.0
                .client
                .close_all(DisconnectReason::ServerNamespaceDisconnect);
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

    /// Encodes and queues one packet for this socket's client.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), Error> {
        if !self.connected() {
            return Err(Error::Disconnected);
        }
        self.0.client.send_packet(packet)
    }

    pub(crate) fn client(&self) -> &Arc<ClientShared> {
        &self.0.client
    }

    pub(crate) fn register_ack(&self, id: u64, waiter: AckWaiter) {
        lock(&self.0.acks).insert(id, waiter);
    }

    /// An event from the client: run its handlers, in order.
    pub(crate) fn handle_event(&self, mut data: Vec<Value>, id: Option<u64>) {
        if data.is_empty() {
            return;
        }
        let Value::String(name) = data.remove(0) else {
            return;
        };
        let handlers = lock(&self.0.handlers)
            .events
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let ack = id.map(|id| Ack::new(self.clone(), id));
        for handler in handlers {
            run_now(handler(self.clone(), data.clone(), ack.clone()));
        }
    }

    /// The client answered an event we sent with an ack id.
    pub(crate) fn handle_ack(&self, id: u64, data: Vec<Value>) {
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
        tracing::debug!(id = %self.0.id, nsp = %self.0.ns.name(), %reason, "socket disconnected");
        let (disconnecting, disconnect) = {
            let handlers = lock(&self.0.handlers);
            (handlers.disconnecting.clone(), handlers.disconnect.clone())
        };
        for handler in disconnecting {
            run_now(handler(self.clone(), reason));
        }
        self.0.ns.adapter().del_all(&self.0.id);
        self.0.ns.remove(&self.0.id);
        self.0.client.remove(self.0.ns.name());
        // Dropping the senders fails every `emit_with_ack` still waiting.
        lock(&self.0.acks).clear();
        for handler in disconnect {
            run_now(handler(self.clone(), reason));
        }
    }
}

/// Refuses the event names the protocol reserves.
pub(crate) fn check_event(event: &str) -> Result<(), Error> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(Error::ReservedEvent(event.to_owned()));
    }
    Ok(())
}

/// `socket.timeout(d)`: an emit that waits for the client's answer.
#[derive(Debug)]
pub struct TimeoutEmitter<'a> {
    socket: &'a Socket,
    timeout: Duration,
}

impl TimeoutEmitter<'_> {
    /// Sends `event` with `args` and waits at most the timeout for the
    /// answer, decoded as `T`. Fails with [`Error::Timeout`], or with
    /// [`Error::Disconnected`] if the socket leaves first.
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, Error> {
        check_event(event)?;
        let socket = self.socket;
        let id = socket.0.ns.next_ack_id();
        let (tx, rx) = oneshot::channel();
        socket.register_ack(id, AckWaiter::One(tx));
        let packet = Packet::event(socket.namespace_name(), event, to_args(&args)?, Some(id));
        if let Err(e) = socket.send_packet(&packet) {
            lock(&socket.0.acks).remove(&id);
            return Err(e);
        }
        let answer = match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(Error::Disconnected),
            Err(_) => {
                lock(&socket.0.acks).remove(&id);
                return Err(Error::Timeout);
            }
        };
        from_value(Value::Array(answer)).map_err(|e| Error::Serde(e.to_string()))
    }
}

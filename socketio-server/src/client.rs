//! A client: one engine.io session, the namespaces it joined over it, and
//! the decoding of its packets.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use engineio_server::{CloseReason, Connection, Message, OutgoingMessage};
use socketio_adapter::{RestoredSession, SocketId};
use socketio_parser::{Decode, Packet, Parser, ProtocolVersion, Value};
use tokio::task::JoinHandle;

use crate::extract::HandlerContext;
use crate::handler::run_now;
use crate::server::ServerInner;
use crate::{DisconnectReason, Error, Namespace, Socket};

/// A client: one engine.io connection and the sockets it opened over it,
/// one per namespace (Node's `socket.client`).
#[derive(Clone)]
pub struct Client(Arc<ClientShared>);

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("sid", self.0.engine.sid())
            .field("protocol", &self.0.protocol)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(shared: Arc<ClientShared>) -> Self {
        Self(shared)
    }

    /// The engine.io connection (Node's `client.conn`).
    pub fn conn(&self) -> &engineio_server::Socket {
        &self.0.engine
    }

    /// The HTTP request that opened the connection (Node's
    /// `client.request`).
    pub fn request(&self) -> &engineio_server::RequestInfo {
        self.0.engine.request()
    }

    /// The socket.io protocol revision the client speaks (v4 for
    /// socket.io 2.x, v5 for 3.x and 4.x).
    pub fn protocol(&self) -> ProtocolVersion {
        self.0.protocol
    }

    /// The client's sockets, one per namespace it joined.
    pub fn sockets(&self) -> Vec<Socket> {
        lock(&self.0.sockets).values().cloned().collect()
    }
}

/// What the client's sockets share.
pub(crate) struct ClientShared {
    engine: engineio_server::Socket,
    protocol: ProtocolVersion,
    parser: Arc<dyn Parser>,
    server: Arc<ServerInner>,
    sockets: Mutex<HashMap<String, Socket>>,
    /// Namespaces whose middlewares are running for this client.
    connecting: Mutex<HashSet<String>>,
    connect_timer: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ClientShared {
    pub(crate) fn engine(&self) -> &engineio_server::Socket {
        &self.engine
    }

    pub(crate) fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }

    /// The encoder of this client's protocol revision.
    pub(crate) fn parser(&self) -> &dyn Parser {
        self.parser.as_ref()
    }

    /// Encodes `packet` and queues it: the head and its attachments together.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), Error> {
        self.send_all(&crate::socket::encode(self.parser(), packet))
    }

    /// Queues an encoded packet: the head and its attachments together.
    pub(crate) fn send_all(&self, messages: &[OutgoingMessage]) -> Result<(), Error> {
        self.engine.send_all(messages)?;
        Ok(())
    }

    /// Queues an encoded packet; a volatile one is dropped if the buffer is
    /// full. Returns whether it was queued.
    pub(crate) fn send_messages(&self, messages: &[OutgoingMessage], volatile: bool) -> bool {
        if volatile {
            self.engine.send_volatile(messages)
        } else {
            self.engine.send_all(messages).is_ok()
        }
    }

    pub(crate) fn remove(&self, nsp: &str) {
        lock(&self.sockets).remove(nsp);
    }

    /// Disconnects every socket of the client with `reason`, then closes
    /// the connection.
    pub(crate) fn close_all(&self, reason: DisconnectReason) {
        self.close_sockets(reason);
        self.engine.close();
    }

    /// Disconnects every socket of the client as the server's
    /// `disconnect(true)` does: each client socket hears DISCONNECT, then
    /// the connection closes.
    pub(crate) fn disconnect_all(&self) {
        let sockets: Vec<Socket> = lock(&self.sockets).values().cloned().collect();
        for socket in sockets {
            socket.disconnect(false);
        }
        self.engine.close();
    }

    /// Disconnects every socket of the client with `reason`.
    fn close_sockets(&self, reason: DisconnectReason) {
        let sockets: Vec<Socket> = lock(&self.sockets).values().cloned().collect();
        for socket in sockets {
            socket.close(reason);
        }
    }

    /// A CONNECT: run the namespace's middlewares, then join it; or answer
    /// CONNECT_ERROR if the namespace does not exist or a middleware
    /// refuses.
    pub(crate) fn connect(self: &Arc<Self>, nsp: &str, auth: Value) {
        if lock(&self.sockets).contains_key(nsp) || !lock(&self.connecting).insert(nsp.to_owned()) {
            tracing::debug!(nsp, "already connected or connecting");
            return;
        }
        let client = self.clone();
        let span = tracing::debug_span!("socketio.join", nsp, id = tracing::field::Empty);
        let nsp = nsp.to_owned();
        run_now(tracing::Instrument::instrument(
            async move {
                match client.server.namespace(&nsp, &auth).await {
                    Some(ns) => client.admit(ns, auth).await,
                    None => client.invalid_namespace(&nsp),
                }
            },
            span,
        ));
    }

    /// Refuses a CONNECT to a namespace that does not exist and that no
    /// dynamic namespace accepts.
    fn invalid_namespace(&self, nsp: &str) {
        lock(&self.connecting).remove(nsp);
        let _span =
            tracing::debug_span!("socketio.refuse", nsp, message = "Invalid namespace").entered();
        tracing::debug!("invalid namespace");
        // An object with a message in both protocols, as Node 4.8 sends it
        // (a 2.x client hears it as an `error` event).
        let data = Value::Object(vec![(
            "message".into(),
            Value::String("Invalid namespace".into()),
        )]);
        let _ = self.send_packet(&Packet::ConnectError {
            nsp: nsp.to_owned().into(),
            data,
        });
    }

    /// Recovers the session the client asks for, if it can, runs the
    /// middlewares, and joins. Runs to completion at once unless a
    /// middleware or the adapter has to wait.
    async fn admit(self: Arc<Self>, ns: Namespace, auth: Value) {
        let attempt = self.recovery_attempt(&auth);
        let restored = match &attempt {
            Some((pid, offset)) => match ns.adapter().restore_session(pid, offset).await {
                Ok(restored) => restored,
                Err(e) => {
                    tracing::warn!(error = %e, "session not restored");
                    None
                }
            },
            None => None,
        };
        let (id, pid) = match &restored {
            Some(r) => (r.session.sid.clone(), Some(r.session.pid.clone())),
            // A socket.io 2.x client computes its socket's id itself from
            // the engine.io id, and Node 4.8 gives it that id.
            None if self.protocol == ProtocolVersion::V4 => {
                let sid = self.engine.sid().as_str();
                let id = match ns.name() {
                    "/" => SocketId::from(sid),
                    name => SocketId::from(format!("{name}#{sid}").as_str()),
                };
                (id, None)
            }
            None => {
                let id = match engineio_server::Sid::generate() {
                    Ok(sid) => SocketId::from(sid.as_str()),
                    Err(e) => {
                        lock(&self.connecting).remove(ns.name());
                        tracing::error!(error = %e, "no socket id");
                        return;
                    }
                };
                let pid = match self.server.recovery() {
                    Some(_) if self.protocol == ProtocolVersion::V5 => {
                        engineio_server::Sid::generate()
                            .ok()
                            .map(|p| p.as_str().to_owned())
                    }
                    _ => None,
                };
                (id, pid)
            }
        };
        tracing::Span::current().record("id", tracing::field::display(&id));
        let socket = Socket::new(id, ns.clone(), self.clone(), auth, pid, restored.is_some());
        let skip = restored.is_some() && self.server.recovery().is_some_and(|r| r.skip_middlewares);
        if !skip {
            let cx = HandlerContext::connection(socket.clone());
            for middleware in ns.middlewares() {
                let verdict = match middleware(&cx) {
                    Ok(future) => future.await,
                    Err(e) => Err(e),
                };
                if let Err(e) = verdict {
                    lock(&self.connecting).remove(ns.name());
                    tracing::debug!(error = %e, "refused by a middleware");
                    if self.engine.is_connected() {
                        self.refuse(ns.name(), e);
                    }
                    return;
                }
            }
        }
        let missed = match (restored, attempt) {
            (Some(restored), Some((_, offset))) => {
                Some(self.rejoin(&ns, &socket, restored, &offset).await)
            }
            _ => None,
        };
        self.join(&ns, socket, missed);
    }

    /// Puts a recovered socket back in its namespace and rooms, holding
    /// the broadcasts that reach it from now on, and returns every packet
    /// it missed: those the adapter restored, and those kept between the
    /// restore and now.
    async fn rejoin(
        &self,
        ns: &Namespace,
        socket: &Socket,
        restored: RestoredSession,
        offset: &str,
    ) -> Vec<Packet> {
        let session = restored.session;
        self.server.expiries().stop(&session.pid);
        socket.hold_broadcasts();
        ns.add(socket);
        let rooms: Vec<_> = session.rooms.iter().cloned().collect();
        ns.adapter().add_all(socket.id(), &rooms);
        if session.data != Value::Null {
            socket.set_data(session.data);
        }
        let mut missed = restored.missed_packets;
        let last = missed
            .iter()
            .rev()
            .find_map(crate::socket::offset_of)
            .unwrap_or_else(|| offset.to_owned());
        match ns.adapter().missed_since(&last, &session.rooms).await {
            Ok(more) => missed.extend(more),
            Err(e) => tracing::warn!(error = %e, "packets since the restore not read"),
        }
        tracing::debug!(missed = missed.len(), "session recovered");
        missed
    }

    /// The private session id and offset a reconnecting socket.io 4.6+
    /// client sends in its auth, when recovery is on.
    fn recovery_attempt(&self, auth: &Value) -> Option<(String, String)> {
        self.server.recovery()?;
        if self.protocol != ProtocolVersion::V5 {
            return None;
        }
        let pid = auth.get("pid")?.as_str()?;
        let offset = auth.get("offset")?.as_str()?;
        Some((pid.to_owned(), offset.to_owned()))
    }

    /// Sends CONNECT_ERROR for `nsp`: `{message, data}` in protocol v5;
    /// the data, or else the message, in protocol v4 (as Node does for
    /// socket.io 2.x clients).
    fn refuse(&self, nsp: &str, error: Error) {
        let (message, data) = match error {
            Error::Refused { message, data } => (message, data),
            other => (other.to_string(), None),
        };
        let _span = tracing::debug_span!("socketio.refuse", nsp, %message).entered();
        let data = match self.protocol {
            ProtocolVersion::V5 => {
                let mut fields = vec![("message".into(), Value::String(message))];
                if let Some(data) = data {
                    fields.push(("data".into(), data));
                }
                Value::Object(fields)
            }
            ProtocolVersion::V4 => data.unwrap_or(Value::String(message)),
        };
        let _ = self.send_packet(&Packet::ConnectError {
            nsp: nsp.to_owned().into(),
            data,
        });
    }

    /// Adds the socket to its namespace and tells the client and the
    /// namespace's handlers, unless the connection closed meanwhile.
    fn join(&self, ns: &Namespace, socket: Socket, missed: Option<Vec<Packet>>) {
        lock(&self.connecting).remove(ns.name());
        if !self.engine.is_connected() {
            tracing::debug!("connection closed while joining");
            if missed.is_some() {
                // It had rejoined: it leaves again.
                ns.adapter().del_all(socket.id());
                ns.remove(socket.id());
            }
            return;
        }
        if let Some(timer) = lock(&self.connect_timer).take() {
            timer.abort();
        }
        socket.set_connected();
        lock(&self.sockets).insert(ns.name().to_owned(), socket.clone());
        let data = match self.protocol {
            ProtocolVersion::V5 => {
                let mut fields = vec![("sid".into(), socket.id().as_str().into())];
                if let Some(pid) = socket.pid() {
                    fields.push(("pid".into(), pid.into()));
                }
                Some(Value::Object(fields))
            }
            ProtocolVersion::V4 => None,
        };
        let _ = self.send_packet(&Packet::Connect {
            nsp: ns.name_str(),
            data,
        });
        match missed {
            Some(missed) => {
                for packet in &missed {
                    let _ = self.send_packet(packet);
                }
                let sent = missed.iter().filter_map(crate::socket::offset_of).collect();
                socket.release_held(&sent);
            }
            // A new socket hears broadcasts once it has heard CONNECT.
            None => ns.add(&socket),
        }
        tracing::debug!("socket connected");
        ns.connected(&socket);
    }

    fn socket(&self, nsp: &str) -> Option<Socket> {
        lock(&self.sockets).get(nsp).cloned()
    }

    /// A decoded packet, for the socket of its namespace. As in Node, a
    /// packet other than CONNECT for a namespace the client has not joined
    /// (its middlewares still running included), a CONNECT for one it has
    /// joined, and a CONNECT_ERROR (only servers send those) put the client
    /// in an invalid state: the whole connection closes.
    fn handle_packet(self: &Arc<Self>, packet: Packet) {
        tracing::trace!(nsp = %packet.nsp(), kind = packet.type_name(), id = ?packet.id(), "packet in");
        let socket = self.socket(packet.nsp());
        match (packet, socket) {
            (Packet::Connect { nsp, data }, None) => {
                self.connect(&nsp, data.unwrap_or(Value::Null));
            }
            (Packet::Disconnect { .. }, Some(socket)) => {
                socket.close(DisconnectReason::ClientNamespaceDisconnect);
            }
            (
                Packet::Event { id, data, .. } | Packet::BinaryEvent { id, data, .. },
                Some(socket),
            ) => socket.handle_event(data, id),
            (Packet::Ack { id, data, .. } | Packet::BinaryAck { id, data, .. }, Some(socket)) => {
                socket.handle_ack(id, data);
            }
            (packet, _) => {
                tracing::debug!(nsp = %packet.nsp(), kind = packet.type_name(), "packet in an invalid state: closing");
                self.close_all(DisconnectReason::ForcedServerClose);
            }
        }
    }

    /// The client sent something that does not decode (Node's `onerror`):
    /// each socket's error handlers hear it, then the connection closes and
    /// the sockets leave with `forced close`.
    fn invalid_packet(&self, error: socketio_parser::Error) {
        let sockets: Vec<Socket> = lock(&self.sockets).values().cloned().collect();
        for socket in &sockets {
            socket.handle_error(Error::InvalidPacket(error.clone()));
        }
        self.close_all(DisconnectReason::ForcedClose);
    }
}

/// The engine.io connection object of a socket.io client.
pub(crate) struct ClientConn {
    shared: Arc<ClientShared>,
    decoder: Box<dyn Decode>,
}

impl ClientConn {
    /// A client on a new engine.io session. A socket.io 2.x client (engine.io
    /// v3) is in `/` at once; a newer one must join a namespace within the
    /// connect timeout.
    pub(crate) fn new(server: Arc<ServerInner>, engine: engineio_server::Socket) -> Self {
        let protocol = match engine.protocol() {
            engineio_server::ProtocolVersion::V3 => ProtocolVersion::V4,
            engineio_server::ProtocolVersion::V4 => ProtocolVersion::V5,
        };
        let _span =
            tracing::debug_span!("socketio.connect", sid = %engine.sid(), ?protocol).entered();
        let parser = server.parsers().get(protocol).clone();
        let decoder = parser.decoder();
        let connect_timeout = server.connect_timeout();
        let shared = Arc::new(ClientShared {
            engine,
            protocol,
            parser,
            server,
            sockets: Mutex::new(HashMap::new()),
            connecting: Mutex::new(HashSet::new()),
            connect_timer: Mutex::new(None),
        });
        match protocol {
            ProtocolVersion::V4 => shared.connect("/", Value::Null),
            ProtocolVersion::V5 => {
                let weak = Arc::downgrade(&shared);
                let timer = tokio::spawn(async move {
                    tokio::time::sleep(connect_timeout).await;
                    if let Some(client) = weak.upgrade() {
                        if lock(&client.sockets).is_empty() {
                            tracing::debug!("no namespace joined in time");
                            client.engine.close();
                        }
                    }
                });
                *lock(&shared.connect_timer) = Some(timer);
            }
        }
        Self { shared, decoder }
    }
}

impl Connection for ClientConn {
    fn on_message(&mut self, message: Message) {
        match self.decoder.handle_message(message) {
            Ok(Some(packet)) => self.shared.handle_packet(packet),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(error = %e, "undecodable packet");
                self.shared.invalid_packet(e);
            }
        }
    }

    fn on_upgrade(&mut self) {
        if let Some(instrument) = self.shared.server.instrument() {
            let sockets: Vec<Socket> = lock(&self.shared.sockets).values().cloned().collect();
            for socket in sockets {
                instrument.upgraded(&socket);
            }
        }
    }

    fn on_close(&mut self, reason: CloseReason) {
        if let Some(timer) = lock(&self.shared.connect_timer).take() {
            timer.abort();
        }
        self.shared.close_sockets(reason.into());
    }
}

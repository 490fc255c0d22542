//! A client: one engine.io session, the namespaces it joined over it, and
//! the decoding of its packets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use engineio_server::{CloseReason, Connection, Message, OutgoingMessage};
use socketio_adapter::SocketId;
use socketio_parser::{Decode, Packet, Parser, ProtocolVersion, Value};
use tokio::task::JoinHandle;

use crate::server::ServerInner;
use crate::{handshake, DisconnectReason, Error, Socket};

/// What the client's sockets share.
pub(crate) struct ClientShared {
    engine: engineio_server::Socket,
    protocol: ProtocolVersion,
    parser: Arc<dyn Parser>,
    server: Arc<ServerInner>,
    sockets: Mutex<HashMap<String, Socket>>,
    connect_timer: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ClientShared {
    pub(crate) fn protocol(&self) -> ProtocolVersion {
        self.protocol
    }

    /// Encodes `packet` and queues it: the head and its attachments together.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), Error> {
        let encoded = self.parser.encode(packet);
        let messages: Vec<OutgoingMessage> = encoded.messages().map(OutgoingMessage::new).collect();
        self.engine.send_all(&messages)?;
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

    /// Disconnects every socket of the client with `reason`.
    fn close_sockets(&self, reason: DisconnectReason) {
        let sockets: Vec<Socket> = lock(&self.sockets).values().cloned().collect();
        for socket in sockets {
            socket.close(reason);
        }
    }

    /// A CONNECT: join `nsp`, or answer CONNECT_ERROR if it does not exist.
    pub(crate) fn connect(self: &Arc<Self>, nsp: &str, auth: Value) {
        if lock(&self.sockets).contains_key(nsp) {
            tracing::debug!(nsp, "already connected");
            return;
        }
        let Some(ns) = self.server.namespace(nsp) else {
            tracing::debug!(nsp, "invalid namespace");
            let data = match self.protocol {
                ProtocolVersion::V5 => {
                    Value::Object(vec![("message".into(), "Invalid namespace".into())])
                }
                ProtocolVersion::V4 => "Invalid namespace".into(),
            };
            let _ = self.send_packet(&Packet::ConnectError {
                nsp: nsp.to_owned().into(),
                data,
            });
            return;
        };
        let id = match engineio_server::Sid::generate() {
            Ok(sid) => SocketId::from(sid.as_str()),
            Err(e) => {
                tracing::error!(error = %e, "no socket id");
                return;
            }
        };
        let handshake = handshake::build(self.engine.request(), auth);
        let socket = Socket::new(id.clone(), ns.clone(), self.clone(), handshake);
        lock(&self.sockets).insert(nsp.to_owned(), socket.clone());
        if let Some(timer) = lock(&self.connect_timer).take() {
            timer.abort();
        }
        ns.add(&socket);
        let data = match self.protocol {
            ProtocolVersion::V5 => Some(Value::Object(vec![("sid".into(), id.as_str().into())])),
            ProtocolVersion::V4 => None,
        };
        let _ = self.send_packet(&Packet::Connect {
            nsp: ns.name_str(),
            data,
        });
        tracing::debug!(%id, nsp, "socket connected");
        ns.connected(&socket);
    }

    fn socket(&self, nsp: &str) -> Option<Socket> {
        lock(&self.sockets).get(nsp).cloned()
    }

    fn handle_packet(self: &Arc<Self>, packet: Packet) {
        match packet {
            Packet::Connect { nsp, data } => self.connect(&nsp, data.unwrap_or(Value::Null)),
            Packet::Disconnect { nsp } => {
                if let Some(socket) = self.socket(&nsp) {
                    socket.close(DisconnectReason::ClientNamespaceDisconnect);
                }
            }
            Packet::Event { nsp, id, data } | Packet::BinaryEvent { nsp, id, data } => {
                match self.socket(&nsp) {
                    Some(socket) => socket.handle_event(data, id),
                    None => tracing::debug!(%nsp, "event for a namespace not joined"),
                }
            }
            Packet::Ack { nsp, id, data } | Packet::BinaryAck { nsp, id, data } => {
                if let Some(socket) = self.socket(&nsp) {
                    socket.handle_ack(id, data);
                }
            }
            // Only servers send CONNECT_ERROR.
            Packet::ConnectError { .. } => {}
        }
    }
}

/// The engine.io connection object of a socket.io client.
pub(crate) struct Client {
    shared: Arc<ClientShared>,
    decoder: Box<dyn Decode>,
}

impl Client {
    /// A client on a new engine.io session. A socket.io 2.x client (engine.io
    /// v3) is in `/` at once; a newer one must join a namespace within the
    /// connect timeout.
    pub(crate) fn new(server: Arc<ServerInner>, engine: engineio_server::Socket) -> Self {
        let protocol = match engine.protocol() {
            engineio_server::ProtocolVersion::V3 => ProtocolVersion::V4,
            engineio_server::ProtocolVersion::V4 => ProtocolVersion::V5,
        };
        let parser = server.parsers().get(protocol).clone();
        let decoder = parser.decoder();
        let connect_timeout = server.connect_timeout();
        let shared = Arc::new(ClientShared {
            engine,
            protocol,
            parser,
            server,
            sockets: Mutex::new(HashMap::new()),
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

impl Connection for Client {
    fn on_message(&mut self, message: Message) {
        match self.decoder.handle_message(message) {
            Ok(Some(packet)) => self.shared.handle_packet(packet),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(error = %e, "undecodable packet");
                self.shared.close_all(DisconnectReason::ParseError);
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

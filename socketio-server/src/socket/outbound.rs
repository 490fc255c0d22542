//! The one way out: how a packet becomes bytes (once per wire format) and
//! reaches a client, whatever sent it. A socket's own events (`emit`,
//! volatile, with an ack) go through [`Socket::emit_event`]; broadcasts
//! reach each socket through [`Socket::deliver`]; control packets and ack
//! answers through [`Socket::send_packet`]. Each checks that the socket is
//! still in its namespace, and the outgoing listeners hear each event once.

use engineio_server::OutgoingMessage;
use socketio_adapter::BroadcastOptions;
use socketio_parser::{Packet, Parser, Value};

use super::{lock, AnyHandler, Socket};
use crate::handler::run_now;
use crate::Error;

/// The engine.io messages that carry `packet` (its head, then each
/// attachment), encoded by `parser`: the one place a packet becomes bytes.
pub(crate) fn encode(parser: &dyn Parser, packet: &Packet) -> Vec<OutgoingMessage> {
    parser
        .encode(packet)
        .messages()
        .map(OutgoingMessage::new)
        .collect()
}

impl Socket {
    /// An event for this socket's client, from this socket (Node's
    /// `socket.emit`): a volatile one may be dropped when the client is
    /// not ready for it. With connection state recovery on, it goes
    /// through the adapter as a broadcast to this socket alone, as Node's
    /// does, so that it gets its offset and is kept (unless it is volatile
    /// or asks for an ack).
    pub(crate) fn emit_event(&self, packet: Packet, volatile: bool) -> Result<(), Error> {
        if !self.connected() {
            return Err(Error::Disconnected);
        }
        if self.0.ns.recovery() {
            let mut only = BroadcastOptions::socket(&self.0.id);
            only.flags.volatile = volatile;
            // One socket: not a broadcast, for the fan-out metric.
            return Ok(crate::metrics::unobserved(|| {
                self.0.ns.adapter().broadcast(packet, only)
            })?);
        }
        self.notify_outgoing(&packet);
        let messages = encode(self.0.client.parser(), &packet);
        if volatile {
            self.0.client.send_messages(&messages, true);
            return Ok(());
        }
        self.0.client.send_all(&messages)
    }

    /// A packet that is no event of the application's (CONNECT,
    /// DISCONNECT, an ack's answer, a missed packet replayed): straight to
    /// the client, with no listener.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), Error> {
        if !self.connected() {
            return Err(Error::Disconnected);
        }
        self.0.client.send_packet(packet)
    }

    /// Queues a broadcast's messages (encoded once for every socket of
    /// this wire format) for this socket's client, or holds them while its
    /// missed packets are sent. Returns whether it was queued (a volatile
    /// one may be dropped).
    pub(crate) fn deliver(
        &self,
        packet: &Packet,
        messages: &[OutgoingMessage],
        volatile: bool,
    ) -> bool {
        if self.hold(packet, messages, volatile) {
            return true;
        }
        self.0.client.send_messages(messages, volatile)
    }

    /// Whether the socket has outgoing listeners.
    pub(crate) fn watches_outgoing(&self) -> bool {
        self.0
            .watches_outgoing
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Tells the outgoing listeners of an event about to be sent.
    pub(crate) fn notify_outgoing(&self, packet: &Packet) {
        if !self.watches_outgoing() {
            return;
        }
        let (Packet::Event { data, .. } | Packet::BinaryEvent { data, .. }) = packet else {
            return;
        };
        let Some((Value::String(name), args)) = data.split_first() else {
            return;
        };
        let listeners: Vec<AnyHandler> = lock(&self.0.handlers)
            .any_outgoing
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for listener in listeners {
            run_now(listener(self.clone(), name.clone(), args.to_vec()));
        }
    }
}

//! Counters of a server's traffic: sessions opened, upgraded and closed
//! (by reason), messages and bytes in and out (by transport). Relaxed
//! atomics, bumped where the event happens and read whenever someone asks
//! (a metrics endpoint, the admin UI); nothing is kept per session.

use std::sync::atomic::{AtomicU64, Ordering};

use engineio_protocol::Transport;

use crate::CloseReason;

/// Every [`CloseReason`], in a fixed order (the counters' order).
const REASONS: [CloseReason; 7] = [
    CloseReason::TransportClose,
    CloseReason::PingTimeout,
    CloseReason::TransportError,
    CloseReason::ParseError,
    CloseReason::ForcedClose,
    CloseReason::ServerShuttingDown,
    CloseReason::BufferFull,
];

fn reason_index(reason: CloseReason) -> usize {
    REASONS.iter().position(|r| *r == reason).unwrap_or(0)
}

fn transport_index(transport: Transport) -> usize {
    match transport {
        Transport::Polling => 0,
        Transport::Websocket => 1,
    }
}

#[derive(Debug, Default)]
struct Traffic {
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_out: AtomicU64,
}

impl Traffic {
    fn snapshot(&self) -> TrafficStats {
        TrafficStats {
            messages_in: self.messages_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            messages_out: self.messages_out.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

/// The live counters, shared by the server and its sessions.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    handshakes: [AtomicU64; 2],
    /// Sessions on long-polling now: one more at a polling handshake, one
    /// less when such a session upgrades or closes.
    polling: AtomicU64,
    upgrades: AtomicU64,
    closes: [AtomicU64; REASONS.len()],
    traffic: [Traffic; 2],
}

impl Stats {
    pub(crate) fn handshake(&self, transport: Transport) {
        self.handshakes[transport_index(transport)].fetch_add(1, Ordering::Relaxed);
        if transport == Transport::Polling {
            self.polling.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn upgrade(&self) {
        self.upgrades.fetch_add(1, Ordering::Relaxed);
        self.polling.fetch_sub(1, Ordering::Relaxed);
    }

    /// A session closed, on `transport`.
    pub(crate) fn close(&self, reason: CloseReason, transport: Transport) {
        self.closes[reason_index(reason)].fetch_add(1, Ordering::Relaxed);
        if transport == Transport::Polling {
            self.polling.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn message_in(&self, transport: Transport, bytes: usize) {
        let traffic = &self.traffic[transport_index(transport)];
        traffic.messages_in.fetch_add(1, Ordering::Relaxed);
        traffic.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn messages_out(&self, transport: Transport, messages: usize, bytes: usize) {
        let traffic = &self.traffic[transport_index(transport)];
        traffic
            .messages_out
            .fetch_add(messages as u64, Ordering::Relaxed);
        traffic.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, sessions: usize) -> EngineStats {
        EngineStats {
            sessions,
            polling_sessions: self.polling.load(Ordering::Relaxed) as usize,
            handshakes_polling: self.handshakes[0].load(Ordering::Relaxed),
            handshakes_websocket: self.handshakes[1].load(Ordering::Relaxed),
            upgrades: self.upgrades.load(Ordering::Relaxed),
            closes: REASONS
                .iter()
                .zip(&self.closes)
                .map(|(reason, count)| (*reason, count.load(Ordering::Relaxed)))
                .collect(),
            polling: self.traffic[0].snapshot(),
            websocket: self.traffic[1].snapshot(),
        }
    }
}

/// Messages and bytes of one transport since the server started. Bytes
/// are the messages' data (text or binary), without the protocol's framing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// Messages received from clients.
    pub messages_in: u64,
    /// Bytes of the messages received.
    pub bytes_in: u64,
    /// Messages queued for clients.
    pub messages_out: u64,
    /// Bytes of the messages queued.
    pub bytes_out: u64,
}

/// What a server has seen since it started ([`Server::stats`](crate::Server::stats)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineStats {
    /// Sessions open now.
    pub sessions: usize,
    /// Of those, the ones on long-polling (not upgraded).
    pub polling_sessions: usize,
    /// Handshakes over long-polling.
    pub handshakes_polling: u64,
    /// Handshakes straight over WebSocket.
    pub handshakes_websocket: u64,
    /// Sessions upgraded from polling to WebSocket.
    pub upgrades: u64,
    /// Sessions closed, by reason (every reason is listed, 0 included).
    pub closes: Vec<(CloseReason, u64)>,
    /// Traffic over long-polling.
    pub polling: TrafficStats,
    /// Traffic over WebSocket.
    pub websocket: TrafficStats,
}

impl EngineStats {
    /// Handshakes over either transport.
    pub fn handshakes(&self) -> u64 {
        self.handshakes_polling + self.handshakes_websocket
    }

    /// Sessions closed, whatever the reason.
    pub fn closed(&self) -> u64 {
        self.closes.iter().map(|(_, n)| n).sum()
    }
}

//! What the in-memory adapter keeps for connection state recovery: the
//! sessions of disconnected sockets and the packets broadcast since, each
//! for at most the maximum disconnection duration.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use socketio_parser::{Packet, Value};

use crate::{BroadcastOptions, PersistedSession, RestoredSession, Room};

/// A broadcast packet, kept with its offset and whom it went to.
#[derive(Debug)]
struct Stored {
    offset: String,
    at: Instant,
    opts: BroadcastOptions,
    packet: Packet,
}

/// The sessions and packets kept for recovery.
#[derive(Debug)]
pub(super) struct RecoveryStore {
    max: Duration,
    next_offset: u64,
    /// A prefix unique to this adapter, so that offsets from another run
    /// of the server are never mistaken for ours.
    prefix: String,
    sessions: HashMap<String, (PersistedSession, Instant)>,
    packets: VecDeque<Stored>,
}

impl RecoveryStore {
    pub(super) fn new(max: Duration, prefix: String) -> Self {
        Self {
            max,
            next_offset: 0,
            prefix,
            sessions: HashMap::new(),
            packets: VecDeque::new(),
        }
    }

    /// Gives an EVENT without ack id, not volatile, its offset (as a last
    /// argument, where socket.io-client 4.6+ reads it) and keeps it.
    pub(super) fn offer(&mut self, packet: &mut Packet, opts: &BroadcastOptions, now: Instant) {
        let (Packet::Event { data, id: None, .. } | Packet::BinaryEvent { data, id: None, .. }) =
            packet
        else {
            return;
        };
        if opts.flags.volatile {
            return;
        }
        let offset = format!("{}-{}", self.prefix, self.next_offset);
        self.next_offset += 1;
        data.push(Value::String(offset.clone()));
        self.packets.push_back(Stored {
            offset,
            at: now,
            opts: opts.clone(),
            packet: packet.clone(),
        });
        self.expire(now);
    }

    /// Forgets the packets and sessions older than the maximum duration.
    fn expire(&mut self, now: Instant) {
        while self
            .packets
            .front()
            .is_some_and(|p| now.saturating_duration_since(p.at) > self.max)
        {
            self.packets.pop_front();
        }
        // A session is gone once its whole duration has passed: at the
        // moment the server's expiry timer tells of it, not a tick later.
        let max = self.max;
        self.sessions
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < max);
    }

    pub(super) fn persist(&mut self, session: PersistedSession, now: Instant) {
        self.expire(now);
        self.sessions.insert(session.pid.clone(), (session, now));
    }

    /// The packets kept after `offset` for a socket in `rooms`; none if
    /// `offset` is not (or no longer) kept.
    pub(super) fn since(&self, offset: &str, rooms: &HashSet<Room>) -> Vec<Packet> {
        let Some(index) = self.packets.iter().position(|p| p.offset == offset) else {
            return Vec::new();
        };
        self.packets
            .iter()
            .skip(index + 1)
            .filter(|p| p.opts.includes(rooms))
            .map(|p| p.packet.clone())
            .collect()
    }

    /// The session `pid` and the packets it missed after `offset`, once:
    /// a restored session is forgotten. `None` if it is unknown, expired,
    /// or `offset` is no longer (or never was) kept.
    pub(super) fn restore(
        &mut self,
        pid: &str,
        offset: &str,
        now: Instant,
    ) -> Option<RestoredSession> {
        self.expire(now);
        if !self.packets.iter().any(|p| p.offset == offset) {
            return None;
        }
        let (session, _) = self.sessions.remove(pid)?;
        let missed_packets = self.since(offset, &session.rooms);
        Some(RestoredSession {
            session,
            missed_packets,
        })
    }
}

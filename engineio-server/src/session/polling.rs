//! The long-polling rules of a session: one GET and one POST at a time
//! (a second one breaks the session, as Node's "overlap from client"),
//! what a waiting GET is answered with, a GET the client abandons, and the
//! GET still in flight when the client closed the session over polling.

use std::time::{Duration, Instant};

use engineio_protocol::{Packet, Transport};

use super::{Session, Transmit};
use crate::CloseReason;

/// How long a session the client closed over polling stays known for the
/// one GET that may still be in flight (sent before the CLOSE, on another
/// connection: Node's single thread would have read it first).
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The polling requests in flight.
#[derive(Debug, Default)]
pub(super) struct Requests {
    get: bool,
    post: bool,
    /// Until when a GET for the closed session still gets its NOOP.
    late_get_until: Option<Instant>,
}

/// A second GET or POST arrived while one was pending: the session is
/// closed with `transport error`, and the request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap;

/// A GET the session is answering (from [`Session::begin_get`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingGet {
    /// It came while an upgrade was settling: if the upgrade completes
    /// first, it is refused (it counts as sent after the upgrade).
    settling: bool,
}

/// What a waiting GET is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetAnswer {
    /// These packets, as one payload.
    Packets(Vec<Packet>),
    /// 400: the session moved to WebSocket before this GET was answered.
    Refused,
}

impl Session {
    /// A polling GET arrives at `now`. It waits for
    /// [`Session::answer_get`]; a second one while it waits breaks the
    /// session.
    pub fn begin_get(&mut self, now: Instant) -> Result<PendingGet, Overlap> {
        if self.requests.get {
            self.overlap();
            return Err(Overlap);
        }
        self.requests.get = true;
        let settling = self.handle_poll_request(now);
        Ok(PendingGet { settling })
    }

    /// What the pending GET gets now, if anything yet: the queued packets;
    /// once the session is closed with nothing queued, its final packet;
    /// a NOOP (or a refusal, see [`PendingGet`]) once it has upgraded.
    pub fn answer_get(&mut self, get: PendingGet) -> Option<GetAnswer> {
        let packets: Vec<Packet> = self
            .poll_batch(Transport::Polling)
            .into_iter()
            .map(Transmit::into_packet)
            .collect();
        if !packets.is_empty() {
            return Some(GetAnswer::Packets(packets));
        }
        if self.is_closed() {
            return Some(GetAnswer::Packets(vec![self.final_poll_packet()]));
        }
        if self.transport != Transport::Polling && !self.is_upgrading() {
            return Some(match get.settling {
                true => GetAnswer::Refused,
                false => GetAnswer::Packets(vec![Packet::Noop]),
            });
        }
        None
    }

    /// The pending GET is over. One that ended without an answer was
    /// abandoned by the client: the session closes with `transport error`
    /// (Node: "poll connection closed prematurely").
    pub fn end_get(&mut self, answered: bool) {
        self.requests.get = false;
        if !answered {
            self.handle_transport_closed(Transport::Polling, CloseReason::TransportError);
        }
    }

    /// A polling POST arrives; a second one while it is read breaks the
    /// session.
    pub fn begin_post(&mut self) -> Result<(), Overlap> {
        if self.requests.post {
            self.overlap();
            return Err(Overlap);
        }
        self.requests.post = true;
        Ok(())
    }

    /// The POST's packets, read at `now`.
    pub fn handle_post(&mut self, packets: Vec<Packet>, now: Instant) {
        for packet in packets {
            self.handle_packet(Transport::Polling, packet, now);
        }
        if self.is_closed() && self.final_poll_packet() == Packet::Noop && !self.requests.get {
            self.requests.late_get_until = now.checked_add(CLOSE_GRACE);
        }
    }

    /// The POST is over (answered or not).
    pub fn end_post(&mut self) {
        self.requests.post = false;
    }

    /// Until when the closed session must stay known for a GET still in
    /// flight (see [`CLOSE_GRACE`]).
    pub fn late_get_until(&self) -> Option<Instant> {
        self.requests.late_get_until.filter(|_| self.is_closed())
    }

    /// Whether a GET for this closed session, arriving at `now`, is the
    /// one sent before the client's CLOSE, which gets its NOOP. Only one
    /// does.
    pub fn admits_late_get(&mut self, now: Instant) -> bool {
        self.requests
            .late_get_until
            .take()
            .is_some_and(|until| until > now)
    }

    fn overlap(&mut self) {
        let transport = self.transport;
        self.handle_transport_closed(transport, CloseReason::TransportError);
    }
}

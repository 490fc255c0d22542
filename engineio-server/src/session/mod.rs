//! One engine.io session as a Sans-IO state machine.
//!
//! The driver feeds it what happens and asks it what to do:
//!
//! - inputs: [`Session::handle_packet`] (a packet from a transport), the
//!   polling requests ([`Session::begin_get`], [`Session::begin_post`] and
//!   their ends),
//!   [`Session::handle_timeout`] (the time reached [`Session::poll_timeout`]),
//!   [`Session::handle_upgrade_request`] (a WebSocket arrived for this sid),
//!   [`Session::handle_transport_closed`], and from the application
//!   [`Session::send`] and [`Session::close`];
//! - outputs: [`Session::poll_transmit`] (the next packet for a transport),
//!   [`Session::poll_event`] (what the application should hear about) and
//!   [`Session::poll_timeout`] (when to call `handle_timeout`).
//!
//! After any input, drain `poll_event` and `poll_transmit`, then sleep until
//! `poll_timeout` or the next input. The session never reads the clock:
//! every input that depends on time takes `now`.

mod polling;
mod timer;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use engineio_protocol::{Message, OpenPacket, Packet, ProtocolVersion, Str, Transport, PROBE};

use crate::message::Frame;
use crate::{CloseReason, Error, OutgoingMessage, Sid};

/// How long a polling GET that arrives during an upgrade, once the
/// WebSocket is probed, waits for the upgrade to settle before it is
/// released with a NOOP (Node checks every 100 ms).
pub const UPGRADE_CHECK: Duration = Duration::from_millis(100);
pub use polling::{GetAnswer, Overlap, PendingGet, CLOSE_GRACE};
pub use timer::Timer;
use timer::TimerTable;

/// The settings a session runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Time between heartbeats (Node: `pingInterval`, 25 s).
    pub ping_interval: Duration,
    /// How long to wait for the heartbeat answer (Node: `pingTimeout`, 20 s).
    pub ping_timeout: Duration,
    /// How long an upgrade may take (Node: `upgradeTimeout`, 10 s).
    pub upgrade_timeout: Duration,
    /// The largest payload the client may send, announced in the handshake
    /// (Node: `maxHttpBufferSize`, 1 MB).
    pub max_payload: u64,
    /// The hard bound of the outgoing buffer, in bytes of message data:
    /// a send past it closes the session at once. It bounds the memory a
    /// client that stops reading may cost.
    pub max_buffered_bytes: usize,
    /// How much unread data a client may lag by without a deadline: past
    /// it, the client has [`SessionConfig::lag_timeout`] to come back under
    /// it, or the session closes. Volatile messages are dropped past it.
    pub lag_bytes: usize,
    /// How long a client may lag by more than [`SessionConfig::lag_bytes`].
    pub lag_timeout: Duration,
    /// Whether a polling session may upgrade to WebSocket.
    pub allow_upgrades: bool,
    /// How long a session closed by the server waits for its CLOSE packet
    /// to be taken (Node: `closeTimeout`, 30 s): a polling client that
    /// never comes back for it does not keep the session.
    pub close_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            max_buffered_bytes: 32 << 20,
            lag_bytes: 1 << 20,
            lag_timeout: Duration::from_secs(30),
            allow_upgrades: true,
            close_timeout: Duration::from_secs(30),
        }
    }
}

/// What the application hears about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The client sent a message.
    Message(Message),
    /// The session moved to WebSocket.
    Upgraded,
    /// The session closed; this is the last event.
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Closing gracefully: the buffered packets, then a CLOSE packet, go out.
    Closing(CloseReason),
    Closed(CloseReason),
}

/// Where an upgrade to WebSocket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    None,
    /// The WebSocket is open; waiting for its `2probe`.
    AwaitingProbe,
    /// `3probe` is due on the WebSocket, and a NOOP on polling to release
    /// the pending GET; then the client sends UPGRADE.
    Probed {
        pong_due: bool,
        noop_due: bool,
    },
}

/// What a transport sends next: a packet of the session's own (OPEN, PING,
/// CLOSE, ...) or an application message, possibly shared with other
/// sessions.
#[derive(Debug, Clone)]
pub enum Transmit {
    /// A control packet.
    Packet(Packet),
    /// An application message.
    Message(OutgoingMessage),
}

impl Transmit {
    /// As a packet (cloning a message shares its data).
    pub fn into_packet(self) -> Packet {
        match self {
            Self::Packet(packet) => packet,
            Self::Message(message) => Packet::Message(message.message().clone()),
        }
    }

    /// The WebSocket frame for a client of `version`.
    pub fn frame(&self, version: ProtocolVersion) -> Frame {
        match self {
            Self::Message(message) => message.frame(version),
            Self::Packet(packet) => match packet.to_frame(version) {
                Message::Text(text) => Frame::Text(text.into_bytes()),
                Message::Binary(data) => Frame::Binary(data),
            },
        }
    }
}

/// One engine.io session.
#[derive(Debug)]
pub struct Session {
    sid: Sid,
    version: ProtocolVersion,
    config: SessionConfig,
    transport: Transport,
    upgrade: Upgrade,
    state: State,
    timers: TimerTable,
    outbox: VecDeque<Transmit>,
    buffered_bytes: usize,
    events: VecDeque<Event>,
    requests: polling::Requests,
}

impl Session {
    /// A new session, opened by a handshake on `transport` at `now`; its
    /// OPEN packet is the first thing [`Session::poll_transmit`] returns.
    pub fn new(
        sid: Sid,
        version: ProtocolVersion,
        transport: Transport,
        config: SessionConfig,
        now: Instant,
    ) -> Self {
        let upgrades = if config.allow_upgrades && transport == Transport::Polling {
            vec![Transport::Websocket.as_str().to_owned()]
        } else {
            vec![]
        };
        let open = OpenPacket {
            sid: sid.to_string(),
            upgrades,
            ping_interval: config.ping_interval.as_millis() as u64,
            ping_timeout: config.ping_timeout.as_millis() as u64,
            // Protocol v3 has no maxPayload in the handshake.
            max_payload: (version == ProtocolVersion::V4).then_some(config.max_payload),
        };
        let mut timers = TimerTable::default();
        match version {
            // v4: "the server sends a ping packet every pingInterval ms".
            ProtocolVersion::V4 => timers.set_after(Timer::PingInterval, now, config.ping_interval),
            // v3: the client pings; it must do so within interval + timeout.
            ProtocolVersion::V3 => timers.set_after(
                Timer::PongDeadline,
                now,
                config.ping_interval.saturating_add(config.ping_timeout),
            ),
        }
        Self {
            sid,
            version,
            config,
            transport,
            upgrade: Upgrade::None,
            state: State::Open,
            timers,
            outbox: VecDeque::from([Transmit::Packet(Packet::Open(open))]),
            buffered_bytes: 0,
            events: VecDeque::new(),
            requests: polling::Requests::default(),
        }
    }

    /// The session id.
    pub fn sid(&self) -> &Sid {
        &self.sid
    }

    /// The protocol version the client speaks.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The transport that carries the session's packets now.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether an upgrade to WebSocket is in progress.
    pub fn is_upgrading(&self) -> bool {
        self.upgrade != Upgrade::None
    }

    /// Why the session closed, once it has (also while it is closing).
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Open => None,
            State::Closing(r) | State::Closed(r) => Some(r),
        }
    }

    /// Whether the session is fully closed: nothing more will be sent.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// What a polling GET still waiting once the session has closed is
    /// answered with: a NOOP when the client closed the session itself
    /// (with a CLOSE packet over polling), a CLOSE otherwise, as Node's
    /// polling transport answers it.
    pub fn final_poll_packet(&self) -> Packet {
        match self.state {
            State::Closed(CloseReason::TransportClose) if self.transport == Transport::Polling => {
                Packet::Noop
            }
            _ => Packet::Close,
        }
    }

    /// Bytes of message data waiting to be sent.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Queues a message for the client (a [`Message`] or a shared
    /// [`OutgoingMessage`]) at `now`.
    ///
    /// A client may fall behind: past [`SessionConfig::lag_bytes`] unread,
    /// it has [`SessionConfig::lag_timeout`] to catch up. Past
    /// [`SessionConfig::max_buffered_bytes`], or still behind at that
    /// deadline, it is not reading: the session closes with
    /// [`CloseReason::BufferFull`] (here, this returns
    /// [`Error::BufferFull`]).
    pub fn send(&mut self, message: impl Into<OutgoingMessage>, now: Instant) -> Result<(), Error> {
        let message = message.into();
        self.make_room(message.len(), now)?;
        self.outbox.push_back(Transmit::Message(message));
        Ok(())
    }

    /// Queues several messages together: all of them, in order and with
    /// nothing in between, or none (a socket.io packet with binary
    /// attachments is several messages that must stay together).
    ///
    /// The bounds apply to their total, as for [`Session::send`].
    pub fn send_all(&mut self, messages: &[OutgoingMessage], now: Instant) -> Result<(), Error> {
        let len: usize = messages.iter().map(OutgoingMessage::len).sum();
        self.make_room(len, now)?;
        self.outbox
            .extend(messages.iter().cloned().map(Transmit::Message));
        Ok(())
    }

    /// Counts `len` more bytes queued, or closes the session past the hard
    /// bound; past the lag bound, starts the client's time to catch up.
    fn make_room(&mut self, len: usize, now: Instant) -> Result<(), Error> {
        if self.state != State::Open {
            return Err(Error::Closed);
        }
        if self.buffered_bytes + len > self.config.max_buffered_bytes {
            self.terminate(CloseReason::BufferFull);
            return Err(Error::BufferFull);
        }
        self.buffered_bytes += len;
        if self.buffered_bytes > self.config.lag_bytes && !self.timers.is_set(Timer::LagDeadline) {
            self.timers
                .set_after(Timer::LagDeadline, now, self.config.lag_timeout);
        }
        Ok(())
    }

    /// Whether `bytes` more would keep the client within its lag bound (to
    /// drop a volatile message rather than queue it).
    pub fn has_room_for(&self, bytes: usize) -> bool {
        let bound = self.config.lag_bytes.min(self.config.max_buffered_bytes);
        self.state == State::Open && self.buffered_bytes + bytes <= bound
    }

    /// Closes the session gracefully at `now`: what is buffered goes out,
    /// then a CLOSE packet, taken within
    /// [`SessionConfig::close_timeout`]. The application hears
    /// [`Event::Closed`] now.
    ///
    /// An upgrade in progress may still complete, as in Node: the client
    /// has stopped polling by then, so the CLOSE packet goes over the
    /// WebSocket.
    pub fn close(&mut self, reason: CloseReason, now: Instant) {
        if self.state == State::Open {
            self.state = State::Closing(reason);
            self.timers.stop(Timer::PingInterval);
            self.timers.stop(Timer::PongDeadline);
            self.timers
                .set_after(Timer::CloseDeadline, now, self.config.close_timeout);
            self.events.push_back(Event::Closed(reason));
        }
    }

    /// A polling GET started waiting for packets at `now`.
    ///
    /// Once the WebSocket has been probed, the client may send UPGRADE on
    /// it at any moment, and a GET it sent after that must be refused, as
    /// Node refuses it. The GET and the WebSocket frame travel on different
    /// connections, so the GET may be read first: it waits for the upgrade
    /// to settle, and is released with a NOOP after [`UPGRADE_CHECK`] if
    /// the upgrade is still going on by then (Node sends a NOOP to a waiting
    /// GET every 100 ms during an upgrade). Returns whether this GET waits
    /// so; the driver refuses it if the upgrade completes meanwhile.
    pub fn handle_poll_request(&mut self, now: Instant) -> bool {
        let Upgrade::Probed { noop_due, .. } = &mut self.upgrade else {
            return false;
        };
        // A NOOP still due was meant for the GET pending at the probe.
        *noop_due = false;
        if !self.timers.is_set(Timer::UpgradeCheck) {
            self.timers
                .set_after(Timer::UpgradeCheck, now, UPGRADE_CHECK);
        }
        true
    }

    /// A WebSocket connection arrived for this session: start the upgrade.
    pub fn handle_upgrade_request(&mut self, now: Instant) -> Result<(), Error> {
        let allowed = self.state == State::Open
            && self.config.allow_upgrades
            && self.transport == Transport::Polling
            && self.upgrade == Upgrade::None;
        if !allowed {
            return Err(Error::UpgradeRefused);
        }
        self.upgrade = Upgrade::AwaitingProbe;
        self.timers
            .set_after(Timer::UpgradeTimeout, now, self.config.upgrade_timeout);
        Ok(())
    }

    /// A packet arrived on `from`.
    pub fn handle_packet(&mut self, from: Transport, packet: Packet, now: Instant) {
        match self.state {
            State::Open => {}
            // A closing session may still finish its upgrade.
            State::Closing(_) if from != self.transport => {}
            State::Closing(_) | State::Closed(_) => return,
        }
        if from != self.transport {
            self.handle_upgrade_packet(from, packet);
            return;
        }
        match packet {
            Packet::Message(message) => self.events.push_back(Event::Message(message)),
            Packet::Ping(_) if self.version == ProtocolVersion::V3 => {
                // v3: the client pings and the server answers.
                self.outbox
                    .push_back(Transmit::Packet(Packet::Pong(Str::new())));
                let wait = self
                    .config
                    .ping_interval
                    .saturating_add(self.config.ping_timeout);
                self.timers.set_after(Timer::PongDeadline, now, wait);
            }
            Packet::Pong(_) if self.version == ProtocolVersion::V4 => {
                self.timers.stop(Timer::PongDeadline);
                self.timers
                    .set_after(Timer::PingInterval, now, self.config.ping_interval);
            }
            // A heartbeat in the wrong direction for this version.
            Packet::Ping(_) | Packet::Pong(_) => self.terminate(CloseReason::TransportError),
            Packet::Close => self.terminate(CloseReason::TransportClose),
            // Node ignores these from a client.
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// "Upgrade" in the protocol: `2probe`, `3probe`, then `5` on the new
    /// transport. Anything else there aborts the upgrade (the driver then
    /// closes the WebSocket), and the session goes on over polling.
    fn handle_upgrade_packet(&mut self, from: Transport, packet: Packet) {
        if from != Transport::Websocket {
            return;
        }
        match (self.upgrade, packet) {
            (Upgrade::AwaitingProbe, Packet::Ping(p)) if p == PROBE => {
                self.upgrade = Upgrade::Probed {
                    pong_due: true,
                    noop_due: true,
                };
            }
            (Upgrade::Probed { .. }, Packet::Upgrade) => {
                self.upgrade = Upgrade::None;
                self.timers.stop(Timer::UpgradeTimeout);
                self.timers.stop(Timer::UpgradeCheck);
                self.transport = Transport::Websocket;
                self.events.push_back(Event::Upgraded);
            }
            _ => self.abort_upgrade(),
        }
    }

    fn abort_upgrade(&mut self) {
        self.upgrade = Upgrade::None;
        self.timers.stop(Timer::UpgradeTimeout);
        self.timers.stop(Timer::UpgradeCheck);
    }

    /// A transport's connection went away (a WebSocket closed, an HTTP
    /// request was aborted).
    pub fn handle_transport_closed(&mut self, transport: Transport, reason: CloseReason) {
        if transport == self.transport {
            self.terminate(reason);
        } else if self.is_upgrading() {
            self.abort_upgrade();
        }
    }

    /// The time reached [`Session::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each timer counts from when it was due, not from when the driver
        // got round to it: the PONG is due `ping_timeout` after the PING was
        // due. A session's fate is then the clock's, however late the driver
        // runs, and a timer that comes due meanwhile runs in this same call.
        while let Some((due, timer)) = self.timers.expire_next(now) {
            match timer {
                Timer::PingInterval => {
                    self.outbox
                        .push_back(Transmit::Packet(Packet::Ping(Str::new())));
                    self.timers
                        .set_after(Timer::PongDeadline, due, self.config.ping_timeout);
                }
                Timer::PongDeadline => self.terminate(CloseReason::PingTimeout),
                // Still behind: the client is not reading.
                Timer::LagDeadline => self.terminate(CloseReason::BufferFull),
                Timer::UpgradeTimeout => self.abort_upgrade(),
                // Nobody came for the CLOSE packet: give up on it.
                Timer::CloseDeadline => self.terminate(CloseReason::ForcedClose),
                Timer::UpgradeCheck => {
                    if let Upgrade::Probed { noop_due, .. } = &mut self.upgrade {
                        *noop_due = true;
                    }
                }
            }
        }
    }

    /// The next packet to send on `transport`, if any.
    ///
    /// Only the current transport gets the session's packets; during an
    /// upgrade the WebSocket gets `3probe` and polling gets a NOOP that
    /// releases its pending GET.
    #[must_use]
    pub fn poll_transmit(&mut self, transport: Transport) -> Option<Transmit> {
        if let Upgrade::Probed { pong_due, noop_due } = &mut self.upgrade {
            if transport == Transport::Websocket && *pong_due {
                *pong_due = false;
                return Some(Transmit::Packet(Packet::Pong(Str::from_static(PROBE))));
            }
            if transport == Transport::Polling && *noop_due {
                *noop_due = false;
                return Some(Transmit::Packet(Packet::Noop));
            }
        }
        if transport != self.transport || self.is_closed() {
            return None;
        }
        if let Some(packet) = self.outbox.pop_front() {
            if let Transmit::Message(m) = &packet {
                self.buffered_bytes -= m.len();
                if self.buffered_bytes <= self.config.lag_bytes {
                    self.timers.stop(Timer::LagDeadline);
                }
            }
            return Some(packet);
        }
        if let State::Closing(reason) = self.state {
            self.state = State::Closed(reason);
            self.timers.stop(Timer::CloseDeadline);
            return Some(Transmit::Packet(Packet::Close));
        }
        None
    }

    /// Everything to send in one polling response. While closing, the
    /// buffered packets go in one response and the CLOSE packet in the
    /// next, as Node sends them: clients hand packets to the application a
    /// tick after reading them, so a CLOSE in the same payload would
    /// overtake the packets before it.
    #[must_use]
    pub fn poll_batch(&mut self, transport: Transport) -> Vec<Transmit> {
        let mut batch = Vec::new();
        while let Some(next) = self.poll_transmit_unless_close(transport, !batch.is_empty()) {
            batch.push(next);
        }
        batch
    }

    fn poll_transmit_unless_close(
        &mut self,
        transport: Transport,
        holding: bool,
    ) -> Option<Transmit> {
        if holding && self.outbox.is_empty() && matches!(self.state, State::Closing(_)) {
            return None;
        }
        self.poll_transmit(transport)
    }

    /// The next event for the application, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Closes at once, dropping what was buffered.
    fn terminate(&mut self, reason: CloseReason) {
        let was_open = self.state == State::Open;
        if !self.is_closed() {
            self.state = State::Closed(reason);
            self.timers.stop_all();
            self.upgrade = Upgrade::None;
            self.outbox.clear();
            self.buffered_bytes = 0;
            if was_open {
                self.events.push_back(Event::Closed(reason));
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The session state machine, driven with a fake clock.

use super::*;

mod close;

pub(super) const SEC: Duration = Duration::from_secs(1);

fn config() -> SessionConfig {
    SessionConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: SEC,
        max_payload: 1000,
        max_buffered_bytes: 100,
        lag_bytes: 50,
        lag_timeout: SEC,
        allow_upgrades: true,
        close_timeout: SEC,
    }
}

pub(super) fn session(version: ProtocolVersion, transport: Transport) -> (Session, Instant) {
    let t0 = Instant::now();
    let mut s = Session::new(Sid::from("sid"), version, transport, config(), t0);
    assert!(matches!(
        s.poll_transmit(transport).map(Transmit::into_packet),
        Some(Packet::Open(_))
    ));
    (s, t0)
}

pub(super) fn drain(s: &mut Session, t: Transport) -> Vec<Packet> {
    std::iter::from_fn(|| s.poll_transmit(t).map(Transmit::into_packet)).collect()
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn handshake_announces_upgrades_and_max_payload() {
    let t0 = Instant::now();
    let mut s = Session::new(
        Sid::from("abc"),
        ProtocolVersion::V4,
        Transport::Polling,
        config(),
        t0,
    );
    let Some(Packet::Open(open)) = s
        .poll_transmit(Transport::Polling)
        .map(Transmit::into_packet)
    else {
        panic!()
    };
    assert_eq!(
        open,
        OpenPacket {
            sid: "abc".into(),
            upgrades: vec!["websocket".into()],
            ping_interval: 300,
            ping_timeout: 200,
            max_payload: Some(1000),
        }
    );
    let mut s = Session::new(
        Sid::from("abc"),
        ProtocolVersion::V3,
        Transport::Websocket,
        config(),
        t0,
    );
    let Some(Packet::Open(open)) = s
        .poll_transmit(Transport::Websocket)
        .map(Transmit::into_packet)
    else {
        panic!()
    };
    assert_eq!((open.upgrades.len(), open.max_payload), (0, None));
}

#[test]
fn v4_server_pings_every_interval_while_pongs_come_back() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    let mut now = t0;
    for _ in 0..3 {
        now += ms(300);
        assert_eq!(s.poll_timeout(), Some(now));
        s.handle_timeout(now);
        assert_eq!(
            drain(&mut s, Transport::Websocket),
            vec![Packet::Ping(Str::new())]
        );
        now += ms(150);
        s.handle_packet(Transport::Websocket, Packet::Pong(Str::new()), now);
    }
    assert!(events(&mut s).is_empty());
    assert!(!s.is_closed());
}

#[test]
fn v4_client_that_never_pongs_times_out() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_timeout(t0 + ms(300));
    assert_eq!(s.poll_timeout(), Some(t0 + ms(500)));
    s.handle_timeout(t0 + ms(499));
    assert!(!s.is_closed());
    s.handle_timeout(t0 + ms(500));
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::PingTimeout)]
    );
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn v3_client_pings_and_server_answers() {
    let (mut s, t0) = session(ProtocolVersion::V3, Transport::Polling);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(500)));
    s.handle_packet(Transport::Polling, Packet::Ping(Str::new()), t0 + ms(300));
    assert_eq!(
        drain(&mut s, Transport::Polling),
        vec![Packet::Pong(Str::new())]
    );
    assert_eq!(s.poll_timeout(), Some(t0 + ms(800)));
    s.handle_timeout(t0 + ms(800));
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::PingTimeout)]
    );
}

#[test]
fn heartbeat_in_the_wrong_direction_is_a_transport_error() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_packet(Transport::Polling, Packet::Ping(Str::new()), t0);
    assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
    let (mut s, t0) = session(ProtocolVersion::V3, Transport::Polling);
    s.handle_packet(Transport::Polling, Packet::Pong(Str::new()), t0);
    assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
}

#[test]
fn upgrade_with_probe_moves_the_session_to_websocket() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.send(Message::Text("before".into()), t0).unwrap();
    s.handle_upgrade_request(t0).unwrap();
    assert!(s.is_upgrading());
    // Nothing for the WebSocket until it is probed.
    assert_eq!(
        s.poll_transmit(Transport::Websocket)
            .map(Transmit::into_packet),
        None
    );
    s.handle_packet(Transport::Websocket, Packet::Ping(Str::from(PROBE)), t0);
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![Packet::Pong(Str::from(PROBE))]
    );
    assert_eq!(
        drain(&mut s, Transport::Polling),
        vec![Packet::Noop, Packet::text("before")],
        "the pending GET is released"
    );
    s.send(Message::Text("after".into()), t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Upgrade, t0);
    assert_eq!(s.transport(), Transport::Websocket);
    assert!(!s.is_upgrading());
    assert_eq!(events(&mut s), vec![Event::Upgraded]);
    assert_eq!(drain(&mut s, Transport::Polling), vec![]);
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![Packet::text("after")]
    );
}

#[test]
fn upgrade_without_probe_is_aborted_and_polling_goes_on() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Upgrade, t0);
    assert!(!s.is_upgrading());
    assert_eq!(s.transport(), Transport::Polling);
    assert!(!s.is_closed());
    s.handle_packet(Transport::Polling, Packet::text("still here"), t0);
    assert_eq!(
        events(&mut s),
        vec![Event::Message(Message::Text("still here".into()))]
    );
}

#[test]
fn upgrade_that_takes_too_long_is_aborted() {
    let (mut s, t0) = session(ProtocolVersion::V3, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    assert_eq!(s.handle_upgrade_request(t0), Err(Error::UpgradeRefused));
    // The client keeps pinging (v3), so only the upgrade times out.
    s.handle_packet(Transport::Polling, Packet::Ping(Str::new()), t0 + ms(400));
    s.handle_packet(Transport::Polling, Packet::Ping(Str::new()), t0 + ms(800));
    s.handle_timeout(t0 + SEC);
    assert!(!s.is_upgrading());
    assert!(!s.is_closed());
}

#[test]
fn websocket_sessions_and_disabled_upgrades_refuse_upgrading() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    assert_eq!(s.handle_upgrade_request(t0), Err(Error::UpgradeRefused));
    let cfg = SessionConfig {
        allow_upgrades: false,
        ..config()
    };
    let mut s = Session::new(
        Sid::from("x"),
        ProtocolVersion::V4,
        Transport::Polling,
        cfg,
        t0,
    );
    assert_eq!(s.handle_upgrade_request(t0), Err(Error::UpgradeRefused));
}

#[test]
fn a_client_that_stops_reading_is_closed_at_the_hard_bound() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    for _ in 0..10 {
        s.send(Message::Binary(vec![0; 10].into()), t0).unwrap();
    }
    assert_eq!(s.buffered_bytes(), 100);
    assert_eq!(
        s.send(Message::Binary(vec![0].into()), t0),
        Err(Error::BufferFull)
    );
    assert_eq!(events(&mut s), vec![Event::Closed(CloseReason::BufferFull)]);
    assert_eq!(s.buffered_bytes(), 0);
    assert_eq!(drain(&mut s, Transport::Websocket), vec![]);
    assert_eq!(
        s.send(Message::Binary(vec![0].into()), t0),
        Err(Error::Closed)
    );
}

/// A WebSocket session whose heartbeats come long after its lag timeout.
fn lagging_session() -> (Session, Instant) {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        ping_interval: 10 * SEC,
        ping_timeout: 10 * SEC,
        ..config()
    };
    let s = Session::new(
        Sid::from("x"),
        ProtocolVersion::V4,
        Transport::Websocket,
        cfg,
        t0,
    );
    (s, t0)
}

#[test]
fn a_client_behind_its_lag_bound_has_the_lag_timeout_to_catch_up() {
    // Past 50 bytes unread, the client has 1 s.
    let (mut s, t0) = lagging_session();
    s.send(Message::Binary(vec![0; 60].into()), t0).unwrap();
    assert_eq!(s.poll_timeout(), Some(t0 + SEC), "the lag deadline");
    s.handle_timeout(t0 + SEC - Duration::from_millis(1));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(t0 + SEC);
    assert_eq!(events(&mut s), vec![Event::Closed(CloseReason::BufferFull)]);

    // One that reads what it was sent in time stays.
    let (mut s, t0) = lagging_session();
    s.send(Message::Binary(vec![0; 60].into()), t0).unwrap();
    drain(&mut s, Transport::Websocket);
    assert_eq!(s.buffered_bytes(), 0);
    assert_ne!(s.poll_timeout(), Some(t0 + SEC), "caught up: no deadline");
    s.handle_timeout(t0 + SEC);
    assert!(events(&mut s).is_empty());
    // A volatile message is dropped while the client is behind.
    s.send(Message::Binary(vec![0; 60].into()), t0 + SEC)
        .unwrap();
    assert!(!s.has_room_for(1));
}

#[test]
fn draining_frees_the_buffer() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    for _ in 0..50 {
        s.send(Message::Text("0123456789".into()), t0).unwrap();
        assert_eq!(drain(&mut s, Transport::Websocket).len(), 1);
    }
    assert_eq!(s.buffered_bytes(), 0);
}

#[test]
fn graceful_close_flushes_then_sends_close() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.send(Message::Text("bye".into()), t0).unwrap();
    s.close(CloseReason::ServerShuttingDown, t0);
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::ServerShuttingDown)]
    );
    assert_eq!(s.send(Message::Text("late".into()), t0), Err(Error::Closed));
    assert!(!s.is_closed());
    assert_eq!(
        drain(&mut s, Transport::Polling),
        vec![Packet::text("bye"), Packet::Close]
    );
    assert!(s.is_closed());
    s.close(CloseReason::ForcedClose, t0);
    assert!(events(&mut s).is_empty(), "Closed is heard once");
}

#[test]
fn a_polling_batch_while_closing_leaves_close_for_the_next_response() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.send(Message::Text("last".into()), t0).unwrap();
    s.close(CloseReason::ForcedClose, t0);
    let batch = |s: &mut Session| -> Vec<Packet> {
        s.poll_batch(Transport::Polling)
            .into_iter()
            .map(Transmit::into_packet)
            .collect()
    };
    assert_eq!(batch(&mut s), vec![Packet::text("last")]);
    assert!(!s.is_closed());
    assert_eq!(batch(&mut s), vec![Packet::Close]);
    assert!(s.is_closed());
    assert!(batch(&mut s).is_empty());
}

#[test]
fn client_close_and_vanished_transports_close_the_session() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    s.handle_packet(Transport::Websocket, Packet::Close, t0);
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::TransportClose)]
    );

    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    s.handle_transport_closed(Transport::Websocket, CloseReason::TransportClose);
    assert!(
        !s.is_upgrading() && !s.is_closed(),
        "a failed upgrade leaves the session alone"
    );
    s.handle_transport_closed(Transport::Polling, CloseReason::TransportError);
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::TransportError)]
    );
}

#[test]
fn a_get_pending_at_the_probe_is_released_at_once() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    assert!(
        !s.handle_poll_request(t0),
        "outside an upgrade a GET just waits"
    );
    s.handle_upgrade_request(t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Ping(Str::from(PROBE)), t0);
    assert_eq!(drain(&mut s, Transport::Polling), vec![Packet::Noop]);
    assert_eq!(drain(&mut s, Transport::Polling), vec![]);
}

#[test]
fn a_get_after_the_probe_waits_for_the_upgrade_to_settle() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Ping(Str::from(PROBE)), t0);
    // No GET was pending at the probe; the next one waits, bounded.
    assert!(s.handle_poll_request(t0 + ms(10)));
    assert_eq!(drain(&mut s, Transport::Polling), vec![]);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(10) + UPGRADE_CHECK));
    // Still upgrading after the check: the GET gets its NOOP.
    s.handle_timeout(t0 + ms(10) + UPGRADE_CHECK);
    assert_eq!(drain(&mut s, Transport::Polling), vec![Packet::Noop]);
    // The client polled again before `3probe` reached it.
    let t1 = t0 + ms(120);
    assert!(s.handle_poll_request(t1));
    s.handle_timeout(t1 + UPGRADE_CHECK);
    assert_eq!(drain(&mut s, Transport::Polling), vec![Packet::Noop]);
    // A GET waiting when UPGRADE comes gets nothing more from polling, and
    // the check no longer fires.
    assert!(s.handle_poll_request(t1 + ms(150)));
    s.handle_packet(Transport::Websocket, Packet::Upgrade, t1 + ms(160));
    assert_eq!(s.transport(), Transport::Websocket);
    s.handle_timeout(t1 + ms(150) + UPGRADE_CHECK);
    assert_eq!(drain(&mut s, Transport::Polling), vec![]);
}

#[test]
fn a_waiting_get_hears_noop_when_the_client_closed_and_close_otherwise() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_packet(Transport::Polling, Packet::Close, t0);
    assert!(s.is_closed());
    assert_eq!(s.final_poll_packet(), Packet::Noop);

    let (mut s, t0) = session(ProtocolVersion::V3, Transport::Polling);
    s.handle_timeout(t0 + ms(500));
    assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
    assert_eq!(s.final_poll_packet(), Packet::Close);
}

#[test]
fn a_session_closed_during_an_upgrade_says_goodbye_over_websocket() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Ping(Str::from(PROBE)), t0);
    s.send(Message::Text("last".into()), t0).unwrap();
    s.close(CloseReason::ServerShuttingDown, t0);
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![Packet::Pong(Str::from(PROBE))]
    );
    s.handle_packet(Transport::Websocket, Packet::Upgrade, t0);
    assert_eq!(s.transport(), Transport::Websocket);
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![Packet::text("last"), Packet::Close]
    );
    assert!(s.is_closed());
}

#[test]
fn durations_too_long_to_represent_never_fire() {
    let config = SessionConfig {
        ping_interval: Duration::MAX,
        ..config()
    };
    let t0 = Instant::now();
    let mut s = Session::new(
        Sid::from("x"),
        ProtocolVersion::V4,
        Transport::Websocket,
        config,
        t0,
    );
    assert_eq!(s.poll_timeout(), None);
    let mut s3 = Session::new(
        Sid::from("y"),
        ProtocolVersion::V3,
        Transport::Websocket,
        SessionConfig {
            ping_interval: Duration::MAX,
            ..SessionConfig::default()
        },
        t0,
    );
    assert_eq!(s3.poll_timeout(), None);
    s.handle_timeout(t0 + SEC);
    s3.handle_timeout(t0 + SEC);
    assert!(!s.is_closed() && !s3.is_closed());
}

#[test]
fn messages_sent_together_stay_together_or_are_refused_together() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Websocket);
    let head = OutgoingMessage::new(Message::Text("head".into()));
    let attachment = OutgoingMessage::new(Message::Binary(vec![0; 10].into()));
    s.send_all(&[head.clone(), attachment.clone()], t0).unwrap();
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![Packet::text("head"), Packet::binary(vec![0; 10])]
    );
    assert!(s.has_room_for(config().lag_bytes));
    assert!(!s.has_room_for(config().lag_bytes + 1));
    let big = OutgoingMessage::new(Message::Binary(vec![0; config().max_buffered_bytes].into()));
    assert_eq!(s.send_all(&[head, big], t0), Err(Error::BufferFull));
    assert_eq!(
        drain(&mut s, Transport::Websocket),
        vec![],
        "nothing of it queued"
    );
}

#[test]
fn heartbeat_deadlines_count_from_when_the_ping_was_due() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    // The driver ran 10 ms late: the PONG is still due 200 ms after the
    // PING was.
    s.handle_timeout(t0 + ms(310));
    assert_eq!(
        drain(&mut s, Transport::Polling),
        vec![Packet::Ping(Str::new())]
    );
    assert_eq!(s.poll_timeout(), Some(t0 + ms(500)));

    // A request that finds both deadlines past settles them in one call.
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_timeout(t0 + ms(501));
    assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
    assert!(s.is_closed());
}

#[test]
fn a_second_get_breaks_the_session_and_the_first_hears_close() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    let first = s.begin_get(t0).unwrap();
    assert_eq!(s.answer_get(first), None, "nothing to send: it waits");
    assert_eq!(s.begin_get(t0), Err(Overlap));
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::TransportError)]
    );
    assert_eq!(
        s.answer_get(first),
        Some(GetAnswer::Packets(vec![Packet::Close]))
    );
}

#[test]
fn an_abandoned_get_closes_the_session_and_an_answered_one_does_not() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    let get = s.begin_get(t0).unwrap();
    s.send(Message::Text("hi".into()), t0).unwrap();
    assert_eq!(
        s.answer_get(get),
        Some(GetAnswer::Packets(vec![Packet::Message(Message::Text(
            "hi".into()
        ))]))
    );
    s.end_get(true);
    assert!(s.begin_get(t0).is_ok(), "the next GET is not an overlap");
    s.end_get(false);
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::TransportError)]
    );
}

#[test]
fn a_second_post_breaks_the_session() {
    let (mut s, _) = session(ProtocolVersion::V4, Transport::Polling);
    assert_eq!(s.begin_post(), Ok(()));
    assert_eq!(s.begin_post(), Err(Overlap));
    assert_eq!(
        events(&mut s),
        vec![Event::Closed(CloseReason::TransportError)]
    );
    s.end_post();
}

#[test]
fn the_get_in_flight_when_the_client_closed_gets_its_noop_once_within_the_grace() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.begin_post().unwrap();
    s.handle_post(vec![Packet::Close], t0);
    s.end_post();
    assert!(s.is_closed());
    assert_eq!(s.late_get_until(), Some(t0 + CLOSE_GRACE));
    assert!(s.admits_late_get(t0 + ms(10)));
    assert!(!s.admits_late_get(t0 + ms(20)), "only one GET");

    // Past the grace, none.
    let (mut late, t0) = session(ProtocolVersion::V4, Transport::Polling);
    late.handle_post(vec![Packet::Close], t0);
    assert!(!late.admits_late_get(t0 + CLOSE_GRACE + ms(1)));

    // With a GET waiting, that GET gets the NOOP itself.
    let (mut waiting, t0) = session(ProtocolVersion::V4, Transport::Polling);
    let get = waiting.begin_get(t0).unwrap();
    waiting.handle_post(vec![Packet::Close], t0);
    assert_eq!(waiting.late_get_until(), None);
    assert_eq!(
        waiting.answer_get(get),
        Some(GetAnswer::Packets(vec![Packet::Noop]))
    );
}

#[test]
fn a_get_that_came_while_the_upgrade_settled_is_refused_once_upgraded() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.handle_upgrade_request(t0).unwrap();
    s.handle_packet(Transport::Websocket, Packet::Ping(Str::from(PROBE)), t0);
    let get = s.begin_get(t0).unwrap();
    assert_eq!(s.answer_get(get), None);
    s.handle_packet(Transport::Websocket, Packet::Upgrade, t0);
    assert_eq!(s.answer_get(get), Some(GetAnswer::Refused));
}

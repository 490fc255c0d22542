//! The close timeout: a CLOSE packet the client never comes for.

use super::{drain, session, SEC};
use crate::session::{CloseReason, Message, Packet, ProtocolVersion, Transport};
use std::time::Duration;

#[test]
fn a_close_packet_nobody_takes_is_given_up_after_the_close_timeout() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.send(Message::Text("last".into()), t0).unwrap();
    s.close(CloseReason::ServerShuttingDown, t0);
    assert_eq!(s.poll_timeout(), Some(t0 + SEC));
    s.handle_timeout(t0 + SEC - Duration::from_millis(1));
    assert!(!s.is_closed(), "still waiting for a GET");
    s.handle_timeout(t0 + SEC);
    assert!(s.is_closed());
    assert_eq!(s.close_reason(), Some(CloseReason::ForcedClose));
    assert!(drain(&mut s, Transport::Polling).is_empty());
}

#[test]
fn a_close_packet_taken_in_time_stops_the_close_timeout() {
    let (mut s, t0) = session(ProtocolVersion::V4, Transport::Polling);
    s.close(CloseReason::ServerShuttingDown, t0);
    assert_eq!(drain(&mut s, Transport::Polling), vec![Packet::Close]);
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.close_reason(), Some(CloseReason::ServerShuttingDown));
}

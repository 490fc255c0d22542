//! A recovered socket joins its namespace and rooms before its missed
//! packets are sent, so that no broadcast falls between the two; the
//! broadcasts that reach it meanwhile are held, and sent after the missed
//! packets, in order, without those the missed packets already hold (a
//! broadcast kept for recovery and delivered in the same moment).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use engineio_server::OutgoingMessage;
use socketio_parser::{Packet, Value};

use super::{lock, Socket};

/// One broadcast held: its offset (with recovery on), its messages, and
/// whether it is volatile.
type Held = (Option<String>, Vec<OutgoingMessage>, bool);

/// The broadcasts held for a socket; empty and not holding by default.
#[derive(Default)]
pub(crate) struct Replay {
    /// Read on every delivery, so that a socket that holds nothing costs
    /// no lock.
    holding: AtomicBool,
    held: Mutex<Option<Vec<Held>>>,
}

/// The offset a packet kept for recovery ends with.
pub(crate) fn offset_of(packet: &Packet) -> Option<String> {
    match packet {
        Packet::Event { data, id: None, .. } | Packet::BinaryEvent { data, id: None, .. } => {
            match data.last() {
                Some(Value::String(offset)) if data.len() > 1 => Some(offset.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Socket {
    /// From now on, broadcasts to this socket wait for
    /// [`Socket::release_held`].
    pub(crate) fn hold_broadcasts(&self) {
        *lock(&self.0.replay.held) = Some(Vec::new());
        self.0.replay.holding.store(true, Ordering::Release);
    }

    /// Sends the broadcasts held, but those whose offset is in `sent`, and
    /// stops holding. Deliveries that come meanwhile wait, then follow.
    pub(crate) fn release_held(&self, sent: &HashSet<String>) {
        let mut held = lock(&self.0.replay.held);
        for (offset, messages, volatile) in held.take().unwrap_or_default() {
            if offset.is_some_and(|o| sent.contains(&o)) {
                continue;
            }
            self.0.client.send_messages(&messages, volatile);
        }
        self.0.replay.holding.store(false, Ordering::Release);
    }

    /// Holds a broadcast's messages while the missed packets are sent.
    /// Returns whether it held them.
    pub(super) fn hold(
        &self,
        packet: &Packet,
        messages: &[OutgoingMessage],
        volatile: bool,
    ) -> bool {
        if !self.0.replay.holding.load(Ordering::Acquire) {
            return false;
        }
        let mut held = lock(&self.0.replay.held);
        let Some(queue) = held.as_mut() else {
            return false;
        };
        queue.push((offset_of(packet), messages.to_vec(), volatile));
        true
    }
}

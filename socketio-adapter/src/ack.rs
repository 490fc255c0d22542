//! Collecting the answers to a broadcast with acks, or to a server-side
//! emit, from this server and the others.

use std::task::{Context, Poll};

use socketio_parser::Value;
use tokio::sync::mpsc;

/// One piece of news about the answers.
#[derive(Debug, Clone, PartialEq)]
pub enum AckEvent {
    /// This many more answers are on their way (a server reports how many
    /// of its sockets, or how many servers, were asked). May come several
    /// times; the totals add up.
    Expect(usize),
    /// One answer: the arguments the client (or server) acknowledged with.
    Answer(Vec<Value>),
}

/// The sending half, given to the adapter and the local namespace.
#[derive(Debug, Clone)]
pub struct AckSender(mpsc::UnboundedSender<AckEvent>);

/// The receiving half, kept by whoever waits for the answers.
#[derive(Debug)]
pub struct AckReceiver(mpsc::UnboundedReceiver<AckEvent>);

/// A new pair.
pub fn ack_channel() -> (AckSender, AckReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    (AckSender(tx), AckReceiver(rx))
}

impl AckSender {
    /// Announces `n` more answers.
    pub fn expect(&self, n: usize) {
        // The receiver gone means nobody waits any more: nothing to do.
        let _ = self.0.send(AckEvent::Expect(n));
    }

    /// Delivers one answer.
    pub fn answer(&self, args: Vec<Value>) {
        let _ = self.0.send(AckEvent::Answer(args));
    }

    /// Whether the receiver stopped waiting (timed out or dropped).
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

impl AckReceiver {
    /// The next event, or `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<AckEvent> {
        self.0.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<AckEvent> {
        self.0.try_recv().ok()
    }

    /// Polls for the next event, for a `Stream` built on the receiver.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<AckEvent>> {
        self.0.poll_recv(cx)
    }
}

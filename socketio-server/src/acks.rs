//! The answers to a broadcast with acks, or to a server-side emit with
//! acks, as they arrive.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use serde::de::DeserializeOwned;
use socketio_adapter::{AckEvent, AckReceiver};
use socketio_parser::Value;

use crate::args::from_args;
use tokio::time::{Instant, Sleep};

use crate::Error;

/// How long a broadcast or a server-side emit waits for its answers when
/// no timeout was set (Node fails at once instead).
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The answers to a broadcast with acks (one per client) or to a
/// server-side emit with acks (one per server), as they arrive.
///
/// A [`Stream`] of `Result<T, Error>`: each answer decoded as `T`, then, if
/// the timeout fires first, one [`Error::AckTimeout`] saying how many
/// answered. [`AckStream::collect_all`] gathers them into a `Vec`.
pub struct AckStream<T> {
    rx: AckReceiver,
    /// Answers that came before the stream was first polled.
    early: VecDeque<Vec<Value>>,
    /// Answers announced so far.
    expected: usize,
    answered: usize,
    deadline: Pin<Box<Sleep>>,
    done: bool,
    _answer: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for AckStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckStream")
            .field("expected", &self.expected)
            .field("answered", &self.answered)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> AckStream<T> {
    /// Waits on `rx` until `deadline`. Every count the adapter announces
    /// has already been sent into `rx` (the adapter returned).
    pub(crate) fn new(mut rx: AckReceiver, deadline: Instant) -> Self {
        let mut expected = 0;
        let mut early = VecDeque::new();
        while let Some(event) = rx.try_recv() {
            match event {
                AckEvent::Expect(n) => expected += n,
                AckEvent::Answer(args) => early.push_back(args),
            }
        }
        Self {
            rx,
            early,
            expected,
            answered: 0,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            done: false,
            _answer: PhantomData,
        }
    }

    /// Waits until `deadline` for the adapter to announce its counts
    /// (`announced`), then streams the answers from `rx` until the same
    /// deadline.
    pub(crate) async fn after(
        announced: impl Future<Output = Result<(), socketio_adapter::Error>>,
        rx: AckReceiver,
        deadline: Instant,
    ) -> Result<Self, Error> {
        match tokio::time::timeout_at(deadline, announced).await {
            Ok(result) => result?,
            Err(_) => return Err(Error::Timeout),
        }
        Ok(Self::new(rx, deadline))
    }

    /// How many answers are expected: every server's count is in when the
    /// stream is made.
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// Every answer, in the order they came; or [`Error::AckTimeout`] if
    /// some did not come in time, or the first answer that does not decode
    /// as `T`.
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut answers = Vec::new();
        while let Some(answer) = std::future::poll_fn(|cx| Pin::new(&mut self).poll_next(cx)).await
        {
            answers.push(answer?);
        }
        Ok(answers)
    }
}

impl<T: DeserializeOwned> Stream for AckStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(args) = this.early.pop_front() {
            this.answered += 1;
            return Poll::Ready(Some(decode(args)));
        }
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            // Counts come before the answers they announce; a stream whose
            // counts are all in and answered is over.
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some(AckEvent::Expect(n))) => {
                    this.expected += n;
                    continue;
                }
                Poll::Ready(Some(AckEvent::Answer(args))) => {
                    this.answered += 1;
                    return Poll::Ready(Some(decode(args)));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    if this.answered < this.expected {
                        return Poll::Ready(Some(Err(this.timeout_error())));
                    }
                    return Poll::Ready(None);
                }
                Poll::Pending => {}
            }
            if this.answered >= this.expected {
                this.done = true;
                return Poll::Ready(None);
            }
            if this.deadline.as_mut().poll(cx).is_ready() {
                this.done = true;
                return Poll::Ready(Some(Err(this.timeout_error())));
            }
            return Poll::Pending;
        }
    }
}

/// One client's answer, read as `T` as [`Data`](crate::Data) reads
/// arguments.
fn decode<T: DeserializeOwned>(args: Vec<Value>) -> Result<T, Error> {
    from_args::<T>(&args).map_err(|e| Error::Serde(e.to_string()))
}

impl<T> AckStream<T> {
    fn timeout_error(&self) -> Error {
        Error::AckTimeout {
            answered: self.answered,
            expected: self.expected,
        }
    }
}

//! A wake-up for one waiting task, without a lock: set a flag and wake the
//! task once. The WebSocket transport and the session driver each wait on
//! one.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// A flag with the waker of the one task that waits for it. Notifications
/// that come before the task waits are kept (one for all of them), like a
/// `Notify` permit.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    set: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    /// Sets the flag, and wakes the waiting task if the flag was clear: a
    /// set flag means the task has yet to look, so it needs no wake-up.
    pub(crate) fn notify(&self) {
        if !self.set.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }

    /// Ready (and the flag cleared) if it was set; otherwise the task's
    /// waker is kept for the next [`Signal::notify`].
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.set.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.set.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Marks the flag set without a wake-up, for a task about to look
    /// anyway: what is notified meanwhile (by its own work, say) costs no
    /// wake-up of the task that is running.
    pub(crate) fn hold(&self) {
        self.set.store(true, Ordering::Release);
    }

    /// Waits until notified.
    pub(crate) async fn notified(&self) {
        poll_fn(|cx| self.poll(cx)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_notification_before_the_wait_is_kept() {
        let signal = Signal::default();
        signal.notify();
        signal.notify();
        signal.notified().await;
        // One permit for both notifications: the next wait waits.
        let waited = tokio::time::timeout(std::time::Duration::ZERO, signal.notified()).await;
        assert!(waited.is_err());
    }

    #[tokio::test]
    async fn a_notification_from_another_task_wakes_the_waiter() {
        let signal = Arc::new(Signal::default());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.notified().await }
        });
        tokio::task::yield_now().await;
        signal.notify();
        waiter.await.expect("the waiter ends");
    }

    #[tokio::test]
    async fn held_means_the_next_look_is_ready() {
        let signal = Signal::default();
        signal.hold();
        signal.notify();
        signal.notified().await;
    }
}

//! A wake-up for one waiting task, without a lock: set a flag and wake the
//! task once. The WebSocket transport and the session driver each wait on
//! one.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake};

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

    /// Ready (and the flag cleared) if it was set. Either way the task's
    /// waker is kept for the next [`Signal::notify`] (a wake-up takes it),
    /// so a task that looks now and again later is never left asleep.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
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

/// As a waker, a signal notes that it was woken and wakes its task: a task
/// that waits on several things tells which one woke it.
impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;
    use std::sync::Arc;
    use std::task::{Context, Waker};

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_task_that_found_it_set_is_woken_by_the_next_notification() {
        let signal = Signal::default();
        let counting = Arc::new(Counting::default());
        let waker = Waker::from(counting.clone());
        let mut cx = Context::from_waker(&waker);
        let woken = || counting.0.load(std::sync::atomic::Ordering::SeqCst);
        assert!(signal.poll(&mut cx).is_pending());
        signal.notify();
        assert_eq!(woken(), 1);
        // Ready, and the task does not look again before the next one.
        assert!(signal.poll(&mut cx).is_ready());
        signal.notify();
        assert_eq!(woken(), 2);
    }

    #[tokio::test]
    async fn as_a_waker_it_notes_the_wake_up() {
        let signal = Arc::new(Signal::default());
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(signal.poll(&mut cx).is_pending());
        waker.wake_by_ref();
        assert!(signal.poll(&mut cx).is_ready());
        assert!(signal.poll(&mut cx).is_pending());
    }

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

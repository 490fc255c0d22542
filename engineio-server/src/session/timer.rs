//! The session's timers: an enum and a deadline table, not tasks.

use std::time::{Duration, Instant};

/// A timer of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// v4: time to send the next PING.
    PingInterval,
    /// v4: the PONG for the last PING must arrive before this. v3: the next
    /// PING from the client must arrive before this.
    PongDeadline,
    /// An upgrade in progress must complete before this.
    UpgradeTimeout,
    /// During an upgrade, once probed: a polling GET that came in is
    /// released with a NOOP at this time, unless the upgrade settled first
    /// (Node's 100 ms upgrade check).
    UpgradeCheck,
    /// The client lags by more than its lag bound: it must catch up before
    /// this.
    LagDeadline,
    /// A session closed by the server: its CLOSE packet must be taken by
    /// then (Node's `closeTimeout`), or the session is dropped without it.
    CloseDeadline,
}

impl Timer {
    const ALL: [Self; 6] = [
        Self::PingInterval,
        Self::PongDeadline,
        Self::UpgradeTimeout,
        Self::UpgradeCheck,
        Self::LagDeadline,
        Self::CloseDeadline,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// When each [`Timer`] fires, if it is armed.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Arms `timer` to fire `after` from `now`; a deadline too far to
    /// represent is never reached, so the timer stays disarmed.
    pub(crate) fn set_after(&mut self, timer: Timer, now: Instant, after: Duration) {
        self.deadlines[timer.index()] = now.checked_add(after);
    }

    /// Whether `timer` is armed.
    pub(crate) fn is_set(&self, timer: Timer) -> bool {
        self.deadlines[timer.index()].is_some()
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; Timer::ALL.len()];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer due at `now`, with the time
    /// it was due.
    pub(crate) fn expire_next(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        let (due, timer) = Timer::ALL
            .into_iter()
            .filter_map(|t| self.deadlines[t.index()].map(|d| (d, t)))
            .filter(|&(d, _)| d <= now)
            .min_by_key(|&(d, _)| d)?;
        self.stop(timer);
        Some((due, timer))
    }
}

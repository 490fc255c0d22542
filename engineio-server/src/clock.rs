//! The drivers' clock: tokio's, so that a runtime with paused time (tests)
//! moves every session's timers too. The Sans-IO [`Session`](crate::Session)
//! is given this time; it never reads a clock itself.

use std::time::Instant;

/// Now, on tokio's clock.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

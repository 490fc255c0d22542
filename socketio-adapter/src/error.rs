//! The one error type of this crate.

/// What can go wrong in an adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The adapter is closed.
    #[error("the adapter is closed")]
    Closed,
    /// The broker (Redis, ...) failed or could not be reached.
    #[error("adapter broker error: {0}")]
    Broker(String),
    /// A request to the other servers timed out; `answered` of `expected`
    /// servers had answered.
    #[error("timed out waiting for the other servers ({answered} of {expected} answered)")]
    Timeout {
        /// How many servers answered.
        answered: usize,
        /// How many servers were asked.
        expected: usize,
    },
    /// A message from another server did not decode.
    #[error("malformed message from another server: {0}")]
    Malformed(String),
}

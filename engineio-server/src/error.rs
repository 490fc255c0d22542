//! The one error type of this crate.

/// What can go wrong in the engine.io server layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session is closed (or closing): nothing more can be sent.
    #[error("the session is closed")]
    Closed,
    /// The session's outgoing buffer is at its bound; the session was closed
    /// with [`CloseReason::BufferFull`](crate::CloseReason::BufferFull).
    #[error("the outgoing buffer is full")]
    BufferFull,
    /// An upgrade was asked for where none can happen: the session is not on
    /// polling, upgrades are off, or another upgrade is in progress.
    #[error("cannot upgrade this session")]
    UpgradeRefused,
    /// The operating system's random number generator failed.
    #[error("no randomness for a session id: {0}")]
    Random(String),
    /// The TLS certificate or key could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
}

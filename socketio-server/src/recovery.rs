//! Connection state recovery (socket.io 4.6+): the options, and the timers
//! that tell the application when a disconnected session expires.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use socketio_adapter::SocketId;
use tokio::task::JoinHandle;

use crate::DisconnectReason;

type ExpiredHook = Arc<dyn Fn(&str, &SocketId) + Send + Sync>;

/// Connection state recovery options (Node's `connectionStateRecovery`).
///
/// When on, a socket.io 4.6+ client that lost its connection and comes
/// back within `max_disconnection_duration` gets its socket back: the same
/// id, rooms and data, and every packet broadcast to it meanwhile, in
/// order; [`Socket::recovered`](crate::Socket::recovered) is then true.
/// Packets sent with an ack id and volatile packets are not replayed.
///
/// With the default in-memory adapter the server keeps what is needed
/// itself; a custom adapter does it in `persist_session` and
/// `restore_session`.
#[derive(Clone)]
pub struct Recovery {
    pub(crate) max_disconnection_duration: Duration,
    pub(crate) skip_middlewares: bool,
    pub(crate) on_expired: Option<ExpiredHook>,
}

impl fmt::Debug for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recovery")
            .field(
                "max_disconnection_duration",
                &self.max_disconnection_duration,
            )
            .field("skip_middlewares", &self.skip_middlewares)
            .finish_non_exhaustive()
    }
}

impl Default for Recovery {
    /// Two minutes, middlewares skipped on recovery.
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            on_expired: None,
        }
    }
}

impl Recovery {
    /// How long a disconnected session may be recovered (default 2 min).
    pub fn max_disconnection_duration(mut self, duration: Duration) -> Self {
        self.max_disconnection_duration = duration;
        self
    }

    /// Whether a recovered socket skips the namespace middlewares
    /// (default true).
    pub fn skip_middlewares(mut self, skip: bool) -> Self {
        self.skip_middlewares = skip;
        self
    }

    /// Runs `hook` with the namespace and the socket id of each session
    /// that was kept on this server and not recovered here in time.
    pub fn on_expired(mut self, hook: impl Fn(&str, &SocketId) + Send + Sync + 'static) -> Self {
        self.on_expired = Some(Arc::new(hook));
        self
    }
}

/// Whether a socket that left for `reason` may come back (Node's
/// `RECOVERABLE_DISCONNECT_REASONS`).
pub(crate) fn recoverable(reason: DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TransportError
            | DisconnectReason::TransportClose
            | DisconnectReason::ForcedClose
            | DisconnectReason::PingTimeout
            | DisconnectReason::ServerShuttingDown
            | DisconnectReason::ForcedServerClose
    )
}

/// The expiry timers of the sessions kept on this server, by private id.
#[derive(Default)]
pub(crate) struct Expiries(Mutex<HashMap<String, JoinHandle<()>>>);

impl Expiries {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the timer of a session just kept.
    pub(crate) fn start(
        self: &Arc<Self>,
        recovery: &Recovery,
        nsp: &str,
        sid: SocketId,
        pid: String,
    ) {
        let Some(hook) = recovery.on_expired.clone() else {
            return;
        };
        let weak = Arc::downgrade(self);
        let duration = recovery.max_disconnection_duration;
        let nsp = nsp.to_owned();
        let key = pid.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            let Some(expiries) = weak.upgrade() else {
                return;
            };
            if expiries.lock().remove(&pid).is_some() {
                tracing::debug!(%sid, nsp, "session expired");
                hook(&nsp, &sid);
            }
        });
        if let Some(old) = self.lock().insert(key, timer) {
            old.abort();
        }
    }

    /// Stops the timer of a session just recovered.
    pub(crate) fn stop(&self, pid: &str) {
        if let Some(timer) = self.lock().remove(pid) {
            timer.abort();
        }
    }
}

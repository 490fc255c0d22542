//! The sharded adapter's options.

use std::time::Duration;

/// Which rooms get a sharded channel of their own (Node's
/// `subscriptionMode`). Every server of a cluster should use the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubscriptionMode {
    /// Two channels per namespace (main and response), whatever the rooms:
    /// suits many dynamic namespaces.
    Static,
    /// Also one channel per public room (a room that is not a socket id),
    /// so a broadcast to one room reaches only the servers that have it.
    /// Node's default.
    #[default]
    Dynamic,
    /// Like `Dynamic`, and each socket's own room too: suits much one-to-one
    /// messaging (`io.to(socket_id)`).
    DynamicPrivate,
}

/// The sharded adapter's options, with Node's names and defaults.
#[derive(Debug, Clone)]
pub struct RedisShardedAdapterConfig {
    pub(crate) channel_prefix: String,
    pub(crate) subscription_mode: SubscriptionMode,
    pub(crate) requests_timeout: Duration,
}

impl Default for RedisShardedAdapterConfig {
    fn default() -> Self {
        Self {
            channel_prefix: "socket.io".into(),
            subscription_mode: SubscriptionMode::Dynamic,
            requests_timeout: Duration::from_secs(5),
        }
    }
}

impl RedisShardedAdapterConfig {
    /// The prefix of every channel (Node's `channelPrefix`, default
    /// `socket.io`): servers with different prefixes never meet.
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// Which rooms get a channel of their own (Node's `subscriptionMode`,
    /// default [`SubscriptionMode::Dynamic`]).
    pub fn subscription_mode(mut self, mode: SubscriptionMode) -> Self {
        self.subscription_mode = mode;
        self
    }

    /// How long a request to the other servers (`fetch_sockets`, acked
    /// server-side emits and broadcasts) waits for every answer, unless the
    /// call sets its own timeout (5 s, as `ClusterAdapter` waits in Node).
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }
}

//! What every adapter of this crate does with its PUB/SUB subscription:
//! hand each message on, and when the subscription is lost (or was never
//! made), subscribe again with backoff. While Redis is away, local delivery
//! goes on.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use socketio_adapter::Error;

/// The first wait before trying Redis again, doubled up to [`MAX_DELAY`].
pub(crate) const MIN_DELAY: Duration = Duration::from_millis(100);
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(5);

/// A connection for commands and publishes, which reconnects by itself.
/// One attempt per reconnection: while Redis is away, requests fail at
/// once rather than wait through a series of retries (the next request
/// tries again).
pub(crate) async fn command_connection(
    client: &redis::Client,
    timeout: Duration,
) -> Result<ConnectionManager, Error> {
    client
        .get_connection_manager_with_config(manager_config(timeout))
        .await
        .map_err(|e| Error::Broker(e.to_string()))
}

/// How this crate's connection managers reconnect: one attempt per
/// reconnection, with backoff between [`MIN_DELAY`] and [`MAX_DELAY`], and
/// `timeout` to connect and for each reply.
pub(crate) fn manager_config(timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_min_delay(MIN_DELAY)
        .set_max_delay(MAX_DELAY)
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
}

/// At most this many queued messages go to Redis in one pipeline.
pub(crate) const BATCH: usize = 256;

/// Waits for the next message of `queue` and takes the others already
/// queued, up to [`BATCH`], into `batch`; false once the queue is closed.
/// Publishing them in one pipeline costs Redis and us one write instead of
/// one per message, in the same order.
pub(crate) async fn next_batch<T>(
    queue: &mut tokio::sync::mpsc::UnboundedReceiver<T>,
    batch: &mut Vec<T>,
) -> bool {
    let Some(first) = queue.recv().await else {
        return false;
    };
    batch.push(first);
    while batch.len() < BATCH {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    true
}

/// An adapter's side of its subscription.
#[async_trait]
pub(crate) trait Subscriber: Send + Sync + 'static {
    /// The namespace, for the logs.
    fn namespace(&self) -> &str;
    /// A new subscription to every channel the adapter reads.
    async fn subscribe(&self) -> Result<PubSub, Error>;
    /// One message, from `channel`.
    fn on_pubsub(self: Arc<Self>, channel: &str, payload: Bytes);
}

/// Keeps `adapter`'s subscription for as long as the adapter lives.
pub(crate) async fn supervise<S: Subscriber>(adapter: Weak<S>, mut subscription: Option<PubSub>) {
    let mut delay = MIN_DELAY;
    loop {
        let pubsub = match subscription.take() {
            Some(pubsub) => pubsub,
            None => {
                tokio::time::sleep(delay).await;
                let Some(a) = adapter.upgrade() else {
                    return;
                };
                match a.subscribe().await {
                    Ok(pubsub) => {
                        tracing::info!(nsp = %a.namespace(), "subscribed to Redis again");
                        delay = MIN_DELAY;
                        pubsub
                    }
                    Err(e) => {
                        tracing::debug!(nsp = %a.namespace(), error = %e, "Redis still unreachable");
                        delay = (delay * 2).min(MAX_DELAY);
                        continue;
                    }
                }
            }
        };
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            let Some(a) = adapter.upgrade() else {
                return;
            };
            let payload = Bytes::copy_from_slice(msg.get_payload_bytes());
            a.on_pubsub(msg.get_channel_name(), payload);
        }
        tracing::warn!("the Redis subscription was lost; subscribing again");
    }
}

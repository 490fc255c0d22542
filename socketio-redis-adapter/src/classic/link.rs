//! The adapter's links to Redis: a connection for commands and publishes
//! (redis' `ConnectionManager`, which reconnects by itself) and a
//! subscription kept alive by a supervisor that reconnects and subscribes
//! again, with backoff, whenever it is lost. While Redis is away, what
//! needs it fails with an error and local delivery goes on.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use redis::aio::{ConnectionManager, PubSub};
use socketio_adapter::Error;
use tokio::sync::mpsc;

use super::{Publication, Shared};
use crate::link::{command_connection, next_batch, supervise, Subscriber, BATCH};
use crate::{broker, lock};

impl Shared {
    /// The connection for commands, once made.
    pub(super) fn commands(&self) -> Result<ConnectionManager, Error> {
        lock(&self.commands)
            .clone()
            .ok_or_else(|| Error::Broker("not connected to Redis yet".into()))
    }

    /// Connects, subscribes and starts the publisher and the subscription's
    /// supervisor. If Redis cannot be reached now, the supervisor keeps
    /// trying and the error is returned.
    pub(super) async fn start(self: &Arc<Self>) -> Result<(), Error> {
        let first = self.connect().await;
        if let Some(outbox) = lock(&self.outbox_rx).take() {
            self.spawn(publish(Arc::downgrade(self), outbox));
        }
        let (subscription, outcome) = match first {
            Ok(pubsub) => (Some(pubsub), Ok(())),
            Err(e) => (None, Err(e)),
        };
        self.spawn(supervise(Arc::downgrade(self), subscription));
        outcome
    }

    /// A connection for commands if there is none yet, and a new
    /// subscription to every channel of the namespace.
    async fn connect(&self) -> Result<PubSub, Error> {
        let timeout = self.config.requests_timeout;
        if lock(&self.commands).is_none() {
            let manager = command_connection(&self.client, timeout).await?;
            *lock(&self.commands) = Some(manager);
        }
        let subscribe = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub
                .psubscribe(format!("{}*", self.channels.broadcast))
                .await?;
            for channel in [
                &self.channels.request,
                &self.channels.response,
                &self.channels.own_response,
            ] {
                pubsub.subscribe(channel).await?;
            }
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(timeout, subscribe).await {
            Ok(result) => result.map_err(broker),
            Err(_) => Err(Error::Broker(
                "Redis did not answer the subscription".into(),
            )),
        }
    }
}

#[async_trait::async_trait]
impl Subscriber for Shared {
    fn namespace(&self) -> &str {
        &self.nsp
    }

    async fn subscribe(&self) -> Result<PubSub, Error> {
        self.connect().await
    }

    fn on_pubsub(self: Arc<Self>, channel: &str, payload: Bytes) {
        self.on_message(channel, payload);
    }
}

/// Publishes what the adapter queues, in order. A message that cannot be
/// published (Redis away) is dropped, as Node's adapter drops it.
async fn publish(shared: Weak<Shared>, mut outbox: mpsc::UnboundedReceiver<Publication>) {
    let mut batch = Vec::with_capacity(BATCH);
    while next_batch(&mut outbox, &mut batch).await {
        let Some(adapter) = shared.upgrade() else {
            return;
        };
        let mut pipe = redis::pipe();
        for (channel, payload) in batch.drain(..) {
            pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
        }
        let sent = match adapter.commands() {
            Ok(mut conn) => pipe.query_async::<()>(&mut conn).await.map_err(broker),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "publish failed");
        }
    }
}

//! The sharded adapter's links to Redis, shared by a server's namespaces:
//! the connections ([`Link`]: one Redis or a Redis Cluster; RESP3 for the
//! one that subscribes, so that messages arrive as pushes), the one for
//! commands, and the publisher that sends what the namespaces queue, in
//! order. The subscriptions themselves are kept by `subscriptions`.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, ProtocolVersion, PushInfo};
use socketio_adapter::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::subscriptions::Subscriptions;
use super::RedisShardedAdapterConfig;
use crate::link::{manager_config, next_batch, BATCH};
use crate::{broker, lock};

/// The Redis a sharded adapter uses.
#[derive(Clone)]
pub(crate) enum Target {
    /// One Redis 7 server.
    Single(redis::Client),
    /// The nodes of a Redis Cluster to start from.
    Cluster(Vec<redis::ConnectionInfo>),
}

/// A connection to [`Target`].
#[derive(Clone)]
pub(crate) enum Link {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Link {
    /// Opens a connection; with `pushes`, in RESP3, its pushes sent there.
    pub(crate) async fn open(
        target: &Target,
        pushes: Option<mpsc::UnboundedSender<PushInfo>>,
        timeout: Duration,
    ) -> Result<Self, Error> {
        match target {
            Target::Single(client) => {
                let mut config = manager_config(timeout);
                let client = match pushes {
                    Some(tx) => {
                        config = config.set_push_sender(tx);
                        let info = client.get_connection_info().clone();
                        let settings = info
                            .redis_settings()
                            .clone()
                            .set_protocol(ProtocolVersion::RESP3);
                        redis::Client::open(info.set_redis_settings(settings)).map_err(broker)?
                    }
                    None => client.clone(),
                };
                let manager = client
                    .get_connection_manager_with_config(config)
                    .await
                    .map_err(broker)?;
                Ok(Self::Single(manager))
            }
            Target::Cluster(nodes) => {
                let mut builder = ClusterClientBuilder::new(nodes.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(1);
                if let Some(tx) = pushes {
                    builder = builder.use_protocol(ProtocolVersion::RESP3).push_sender(tx);
                }
                let client = builder.build().map_err(broker)?;
                let conn = client.get_async_connection().await.map_err(broker)?;
                Ok(Self::Cluster(conn))
            }
        }
    }

    async fn run<T: FromRedisValue>(&mut self, cmd: &redis::Cmd) -> Result<T, Error> {
        let reply = match self {
            Self::Single(c) => cmd.query_async(c).await,
            Self::Cluster(c) => cmd.query_async(c).await,
        };
        reply.map_err(broker)
    }

    pub(crate) async fn ssubscribe(&mut self, channel: &str) -> Result<(), Error> {
        match self {
            // One channel per command: its one confirmation is its reply.
            Self::Single(_) => self.run(redis::cmd("SSUBSCRIBE").arg(channel)).await,
            Self::Cluster(c) => c.ssubscribe(channel).await.map_err(broker),
        }
    }

    pub(crate) async fn sunsubscribe(&mut self, channel: &str) -> Result<(), Error> {
        match self {
            Self::Single(_) => self.run(redis::cmd("SUNSUBSCRIBE").arg(channel)).await,
            Self::Cluster(c) => c.sunsubscribe(channel).await.map_err(broker),
        }
    }

    /// Publishes `batch` in order: in one pipeline on a single Redis, one
    /// after the other in a cluster (where channels live on different
    /// nodes).
    async fn spublish(&mut self, batch: &[(String, Vec<u8>)]) -> Result<(), Error> {
        match self {
            Self::Single(c) => {
                let mut pipe = redis::pipe();
                for (channel, payload) in batch {
                    pipe.cmd("SPUBLISH").arg(channel).arg(payload).ignore();
                }
                pipe.query_async::<()>(c).await.map_err(broker)
            }
            Self::Cluster(c) => {
                let mut failed = None;
                for (channel, payload) in batch {
                    let sent: redis::RedisResult<()> = redis::cmd("SPUBLISH")
                        .arg(channel)
                        .arg(payload)
                        .query_async(c)
                        .await;
                    if let Err(e) = sent {
                        failed = Some(broker(e));
                    }
                }
                failed.map_or(Ok(()), Err)
            }
        }
    }
}

/// What the publisher sends (a payload on a channel), and with `done`, whom
/// it tells once Redis has it and what was queued before (a message of
/// none: only that).
pub(super) struct Outgoing {
    pub(super) message: Option<(String, Vec<u8>)>,
    pub(super) done: Option<oneshot::Sender<()>>,
}

/// What one server's namespaces share.
pub(super) struct Hub {
    target: Target,
    pub(super) config: RedisShardedAdapterConfig,
    commands: tokio::sync::Mutex<Option<Link>>,
    pub(super) subscriptions: Arc<Subscriptions>,
    outbox: mpsc::UnboundedSender<Outgoing>,
    waiting: Mutex<Option<mpsc::UnboundedReceiver<Outgoing>>>,
    tasks: Mutex<JoinSet<()>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        lock(&self.tasks).abort_all();
    }
}

impl Hub {
    pub(super) fn new(target: Target, config: RedisShardedAdapterConfig) -> Self {
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        let subscriptions = Arc::new(Subscriptions::new(target.clone(), config.requests_timeout));
        Self {
            target,
            config,
            commands: tokio::sync::Mutex::new(None),
            subscriptions,
            outbox,
            waiting: Mutex::new(Some(outbox_rx)),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Starts the subscription task and the publisher, once.
    pub(super) fn start(self: &Arc<Self>) {
        let Some(outbox) = lock(&self.waiting).take() else {
            return;
        };
        let mut tasks = lock(&self.tasks);
        if let Some(task) = self.subscriptions.task() {
            tasks.spawn(task);
        }
        tasks.spawn(publisher(Arc::downgrade(self), outbox));
    }

    async fn commands(&self) -> Result<Link, Error> {
        let mut slot = self.commands.lock().await;
        if let Some(link) = slot.as_ref() {
            return Ok(link.clone());
        }
        let link = Link::open(&self.target, None, self.config.requests_timeout).await?;
        *slot = Some(link.clone());
        Ok(link)
    }

    /// Runs `cmd` on the connection for commands.
    pub(super) async fn run<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, Error> {
        self.commands().await?.run(cmd).await
    }

    pub(super) fn send(&self, out: Outgoing) {
        let _ = self.outbox.send(out);
    }
}

/// Sends what the namespaces queue, in order, many at a time.
async fn publisher(hub: Weak<Hub>, mut outbox: mpsc::UnboundedReceiver<Outgoing>) {
    let mut queued = Vec::with_capacity(BATCH);
    let mut batch = Vec::with_capacity(BATCH);
    while next_batch(&mut outbox, &mut queued).await {
        let mut done = Vec::new();
        for out in queued.drain(..) {
            batch.extend(out.message);
            done.extend(out.done);
        }
        let Some(h) = hub.upgrade() else { return };
        let sent = if batch.is_empty() {
            Ok(())
        } else {
            match h.commands().await {
                Ok(mut link) => link.spublish(&batch).await,
                Err(e) => Err(e),
            }
        };
        drop(h);
        if let Err(e) = sent {
            tracing::warn!(error = %e, messages = batch.len(), "sharded publish failed");
        }
        batch.clear();
        for d in done {
            let _ = d.send(());
        }
    }
}

//! The sharded adapter's links to Redis, shared by a server's namespaces:
//! one connection for commands, one for sharded subscriptions (RESP3, so
//! that messages arrive as pushes), the table of which channel feeds which
//! namespace, and the publisher that sends what the namespaces queue, in
//! order. Against a single Redis the subscriptions are made again after the
//! connection comes back; against a Redis Cluster the client follows slots
//! and failovers itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, ProtocolVersion, PushInfo, PushKind};
use socketio_adapter::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::adapter::Shared;
use super::RedisShardedAdapterConfig;
use crate::cluster::{on_message, ClusterMessage};
use crate::link::{manager_config, next_batch, BATCH, MAX_DELAY, MIN_DELAY};
use crate::{broker, lock};

/// The Redis a sharded adapter uses.
pub(super) enum Target {
    /// One Redis 7 server.
    Single(redis::Client),
    /// The nodes of a Redis Cluster to start from.
    Cluster(Vec<redis::ConnectionInfo>),
}

/// A connection to [`Target`].
#[derive(Clone)]
enum Link {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Link {
    /// Opens a connection; with `pushes`, in RESP3, its pushes sent there.
    async fn open(
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

    async fn ssubscribe(&mut self, channel: &str) -> Result<(), Error> {
        match self {
            // One channel per command: its one confirmation is its reply.
            Self::Single(_) => self.run(redis::cmd("SSUBSCRIBE").arg(channel)).await,
            Self::Cluster(c) => c.ssubscribe(channel).await.map_err(broker),
        }
    }

    async fn sunsubscribe(&mut self, channel: &str) -> Result<(), Error> {
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

/// What the subscription task is asked to do.
enum Control {
    Subscribe(String, Option<oneshot::Sender<Result<(), Error>>>),
    Unsubscribe(String),
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
    /// Which adapters read each subscribed channel.
    channels: Mutex<HashMap<String, Vec<Weak<Shared>>>>,
    control: mpsc::UnboundedSender<Control>,
    outbox: mpsc::UnboundedSender<Outgoing>,
    waiting: Mutex<
        Option<(
            mpsc::UnboundedReceiver<Control>,
            mpsc::UnboundedReceiver<Outgoing>,
        )>,
    >,
    tasks: Mutex<JoinSet<()>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        lock(&self.tasks).abort_all();
    }
}

impl Hub {
    pub(super) fn new(target: Target, config: RedisShardedAdapterConfig) -> Self {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        Self {
            target,
            config,
            commands: tokio::sync::Mutex::new(None),
            channels: Mutex::new(HashMap::new()),
            control,
            outbox,
            waiting: Mutex::new(Some((control_rx, outbox_rx))),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Starts the subscription task and the publisher, once.
    pub(super) fn start(self: &Arc<Self>) {
        let Some((control, outbox)) = lock(&self.waiting).take() else {
            return;
        };
        let mut tasks = lock(&self.tasks);
        tasks.spawn(subscriptions(Arc::downgrade(self), control));
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

    /// `adapter` reads `channel` from now on; the receiver, if any, tells
    /// when Redis confirmed the subscription.
    pub(super) fn subscribe(
        &self,
        channel: &str,
        adapter: &Arc<Shared>,
    ) -> Option<oneshot::Receiver<Result<(), Error>>> {
        let mut channels = lock(&self.channels);
        let readers = channels.entry(channel.to_owned()).or_default();
        readers.retain(|w| w.strong_count() > 0);
        let first = readers.is_empty();
        if !readers
            .iter()
            .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(adapter)))
        {
            readers.push(Arc::downgrade(adapter));
        }
        drop(channels);
        if !first {
            return None;
        }
        let (done, confirmed) = oneshot::channel();
        let _ = self
            .control
            .send(Control::Subscribe(channel.to_owned(), Some(done)));
        Some(confirmed)
    }

    /// `adapter` no longer reads `channel`.
    pub(super) fn unsubscribe(&self, channel: &str, adapter: *const Shared) {
        let mut channels = lock(&self.channels);
        let Some(readers) = channels.get_mut(channel) else {
            return;
        };
        readers.retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), adapter));
        if readers.is_empty() {
            channels.remove(channel);
            drop(channels);
            let _ = self.control.send(Control::Unsubscribe(channel.to_owned()));
        }
    }

    /// A message on `channel`, for the adapters that read it (with no lock
    /// of ours held while they handle it).
    fn dispatch(&self, channel: &str, payload: Bytes) {
        let readers: Vec<Arc<Shared>> = lock(&self.channels)
            .get(channel)
            .map(|r| r.iter().filter_map(Weak::upgrade).collect())
            .unwrap_or_default();
        if readers.is_empty() {
            return;
        }
        match ClusterMessage::decode_envelope(payload) {
            Ok(message) => {
                for adapter in &readers {
                    on_message(adapter, message.clone(), None);
                }
            }
            Err(e) => tracing::debug!(error = %e, %channel, "message ignored"),
        }
    }
}

fn bulk(value: &redis::Value) -> Option<&[u8]> {
    match value {
        redis::Value::BulkString(bytes) => Some(bytes),
        _ => None,
    }
}

/// Keeps the sharded subscriptions: makes and drops them as asked, hands
/// on each message, and after the connection is lost subscribes to every
/// channel again, with backoff, until Redis answers.
async fn subscriptions(hub: Weak<Hub>, mut control: mpsc::UnboundedReceiver<Control>) {
    let (pushes_tx, mut pushes) = mpsc::unbounded_channel::<PushInfo>();
    let mut link: Option<Link> = None;
    let mut lost = true;
    let mut delay = MIN_DELAY;
    loop {
        if lost {
            let Some(h) = hub.upgrade() else { return };
            match resubscribe(&h, &mut link, &pushes_tx).await {
                Ok(()) => {
                    lost = false;
                    delay = MIN_DELAY;
                }
                Err(e) => {
                    drop(h);
                    tracing::debug!(error = %e, "sharded subscriptions not made; trying again");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_DELAY);
                    continue;
                }
            }
        }
        tokio::select! {
            push = pushes.recv() => {
                let Some(push) = push else { return };
                match push.kind {
                    PushKind::SMessage | PushKind::Message => {
                        let (Some(channel), Some(payload)) = (
                            push.data.first().and_then(bulk),
                            push.data.get(1).and_then(bulk),
                        ) else {
                            continue;
                        };
                        let Some(h) = hub.upgrade() else { return };
                        h.dispatch(&String::from_utf8_lossy(channel), Bytes::copy_from_slice(payload));
                    }
                    // A single Redis forgets the subscriptions of a lost
                    // connection; a cluster client makes them again itself.
                    PushKind::Disconnection if matches!(link, Some(Link::Single(_))) => {
                        tracing::warn!("the sharded subscription connection was lost; subscribing again");
                        lost = true;
                    }
                    _ => {}
                }
            }
            next = control.recv() => {
                let Some(next) = next else { return };
                let Some(conn) = link.as_mut() else { continue };
                match next {
                    Control::Subscribe(channel, done) => {
                        let made = conn.ssubscribe(&channel).await;
                        if made.is_err() {
                            lost = true;
                        }
                        if let Some(done) = done {
                            let _ = done.send(made);
                        }
                    }
                    Control::Unsubscribe(channel) => {
                        if conn.sunsubscribe(&channel).await.is_err() {
                            lost = true;
                        }
                    }
                }
            }
        }
    }
}

/// Opens the subscription connection if need be and subscribes to every
/// channel of the table.
async fn resubscribe(
    hub: &Hub,
    link: &mut Option<Link>,
    pushes: &mpsc::UnboundedSender<PushInfo>,
) -> Result<(), Error> {
    if link.is_none() {
        let timeout = hub.config.requests_timeout;
        *link = Some(Link::open(&hub.target, Some(pushes.clone()), timeout).await?);
    }
    let Some(conn) = link.as_mut() else {
        return Ok(());
    };
    let channels: Vec<String> = lock(&hub.channels).keys().cloned().collect();
    for channel in channels {
        conn.ssubscribe(&channel).await?;
    }
    Ok(())
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

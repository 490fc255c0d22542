//! The adapter's links to Redis: the connection for commands (shared by a
//! server's namespaces), one blocking reader per stream, each namespace's
//! PUB/SUB subscription kept by a supervisor that subscribes again with
//! backoff, and the publisher that runs what the adapter queues, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use redis::aio::{ConnectionManager, PubSub};
use redis::streams::{StreamId, StreamReadReply};
use socketio_adapter::Error;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::adapter::{Outgoing, Shared};
use super::RedisStreamsAdapterConfig;
use crate::cluster::{on_message, ClusterMessage};
use crate::link::{
    command_connection, next_batch, supervise, Subscriber, BATCH, MAX_DELAY, MIN_DELAY,
};
use crate::sharded::subscriptions::{ShardReader, Subscriptions};
use crate::{broker, lock};

/// What one server shares among its namespaces: the Redis client, the
/// connection for commands, and one reader per stream.
pub(super) struct Hub {
    pub(super) client: redis::Client,
    /// With `use_sharded_pub_sub`: the sharded subscriptions.
    pub(super) sharded: Option<Arc<Subscriptions>>,
    pub(super) config: RedisStreamsAdapterConfig,
    pub(super) commands: tokio::sync::Mutex<Option<ConnectionManager>>,
    pub(super) adapters: Mutex<HashMap<String, Weak<Shared>>>,
    pub(super) readers: Mutex<Option<JoinSet<()>>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(readers) = lock(&self.readers).as_mut() {
            readers.abort_all();
        }
    }
}

impl Hub {
    pub(super) async fn commands(&self) -> Result<ConnectionManager, Error> {
        let mut slot = self.commands.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let conn = command_connection(&self.client, self.config.requests_timeout).await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Starts the stream readers once, with the first namespace.
    pub(super) fn start_readers(self: &Arc<Self>) {
        let mut readers = lock(&self.readers);
        if readers.is_some() {
            return;
        }
        let mut set = JoinSet::new();
        let names: Vec<String> = match self.config.stream_count {
            1 => vec![self.config.stream_name.clone()],
            n => (0..n)
                .map(|i| format!("{}-{i}", self.config.stream_name))
                .collect(),
        };
        for name in names {
            set.spawn(read_stream(Arc::downgrade(self), name));
        }
        if let Some(task) = self.sharded.as_ref().and_then(|s| s.task()) {
            set.spawn(task);
        }
        *readers = Some(set);
    }

    pub(super) fn dispatch(&self, entry: &StreamId) {
        let field = |name: &str| match entry.map.get(name) {
            Some(redis::Value::BulkString(bytes)) => std::str::from_utf8(bytes).ok(),
            Some(redis::Value::SimpleString(s)) => Some(s.as_str()),
            _ => None,
        };
        let Some(nsp) = field("nsp") else { return };
        let adapter = lock(&self.adapters).get(nsp).and_then(Weak::upgrade);
        let Some(adapter) = adapter else { return };
        match ClusterMessage::decode_entry(field) {
            Ok(message) => on_message(&adapter, message, Some(&entry.id)),
            Err(e) => tracing::debug!(error = %e, "stream entry ignored"),
        }
    }
}

/// Reads one stream from where it is now on, resuming from the last entry
/// read after Redis comes back.
async fn read_stream(hub: Weak<Hub>, stream: String) {
    let mut offset = "$".to_owned();
    let mut conn = None;
    let mut delay = MIN_DELAY;
    loop {
        let Some(h) = hub.upgrade() else { return };
        let (block, count) = (h.config.block_time, h.config.read_count);
        if conn.is_none() {
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(h.config.requests_timeout))
                .set_response_timeout(Some(block + h.config.requests_timeout));
            match h
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    drop(h);
                    tracing::debug!(error = %e, "Redis unreachable for the stream");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_DELAY);
                    continue;
                }
            }
        }
        drop(h);
        let Some(c) = conn.as_mut() else { continue };
        let read: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(u64::try_from(block.as_millis()).unwrap_or(u64::MAX))
            .arg("COUNT")
            .arg(count)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&offset)
            .query_async(c)
            .await;
        match read {
            Ok(reply) => {
                delay = MIN_DELAY;
                let Some(h) = hub.upgrade() else { return };
                for key in reply.map(|r| r.keys).unwrap_or_default() {
                    for entry in key.ids {
                        h.dispatch(&entry);
                        offset = entry.id;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, %stream, "reading the stream failed; reading again");
                conn = None;
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
    }
}

impl Shared {
    pub(super) async fn subscribe(&self) -> Result<PubSub, Error> {
        let subscribe = async {
            let mut pubsub = self.hub.client.get_async_pubsub().await?;
            pubsub.subscribe(&self.public).await?;
            pubsub.subscribe(&self.private).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(self.hub.config.requests_timeout, subscribe).await {
            Ok(result) => result.map_err(broker),
            Err(_) => Err(Error::Broker(
                "Redis did not answer the subscription".into(),
            )),
        }
    }

    pub(super) fn reader(self: &Arc<Self>) -> Weak<dyn ShardReader> {
        let me: Weak<Self> = Arc::downgrade(self);
        me
    }

    pub(super) async fn start(self: &Arc<Self>) -> Result<(), Error> {
        lock(&self.hub.adapters).insert(self.core.nsp.clone(), Arc::downgrade(self));
        self.hub.start_readers();
        if let Some(outbox) = lock(&self.outbox_rx).take() {
            self.core.spawn(publish(Arc::downgrade(self), outbox));
        }
        if let Some(subs) = &self.hub.sharded {
            let confirmations: Vec<_> = [&self.public, &self.private]
                .into_iter()
                .filter_map(|channel| subs.subscribe(channel, self.reader()))
                .collect();
            for confirmed in confirmations {
                match tokio::time::timeout(self.hub.config.requests_timeout, confirmed).await {
                    Ok(Ok(made)) => made?,
                    _ => {
                        return Err(Error::Broker(
                            "Redis did not confirm the subscription; subscribing again".into(),
                        ))
                    }
                }
            }
            return Ok(());
        }
        let first = self.subscribe().await;
        let (subscription, outcome) = match first {
            Ok(pubsub) => (Some(pubsub), Ok(())),
            Err(e) => (None, Err(e)),
        };
        self.core
            .spawn(supervise(Arc::downgrade(self), subscription));
        outcome
    }
}

impl ShardReader for Shared {
    fn on_shard_message(self: Arc<Self>, channel: &str, payload: Bytes) {
        Subscriber::on_pubsub(self, channel, payload);
    }
}

#[async_trait::async_trait]
impl Subscriber for Shared {
    fn namespace(&self) -> &str {
        &self.core.nsp
    }

    async fn subscribe(&self) -> Result<PubSub, Error> {
        Self::subscribe(self).await
    }

    fn on_pubsub(self: Arc<Self>, _channel: &str, payload: Bytes) {
        match ClusterMessage::decode_envelope(payload) {
            Ok(message) => on_message(&self, message, None),
            Err(e) => tracing::debug!(error = %e, "message ignored"),
        }
    }
}

/// The command that carries `out` to Redis, if any.
fn command(adapter: &Shared, out: &Outgoing) -> Option<redis::Cmd> {
    let c = &adapter.hub.config;
    match out {
        Outgoing::Append { message, .. } => {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(&adapter.stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(c.max_len)
                .arg("*");
            for (name, value) in message.encode_entry(c.only_plaintext) {
                cmd.arg(name).arg(value);
            }
            Some(cmd)
        }
        Outgoing::Publish { channel, payload } => {
            let name = if adapter.hub.sharded.is_some() {
                "SPUBLISH"
            } else {
                "PUBLISH"
            };
            let mut cmd = redis::cmd(name);
            cmd.arg(channel).arg(payload);
            Some(cmd)
        }
        Outgoing::Session { key, value, ttl } => {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key)
                .arg(value)
                .arg("PX")
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
            Some(cmd)
        }
        Outgoing::Flush(_) => None,
    }
}

/// Runs what the adapter queues, in order, in pipelines of what is queued
/// together: appends to the stream (then delivers here, with the offset),
/// publishes, sessions kept.
pub(super) async fn publish(shared: Weak<Shared>, mut outbox: mpsc::UnboundedReceiver<Outgoing>) {
    let mut batch = Vec::with_capacity(BATCH);
    while next_batch(&mut outbox, &mut batch).await {
        let Some(adapter) = shared.upgrade() else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut commands = 0;
        for cmd in batch.iter().filter_map(|out| command(&adapter, out)) {
            pipe.add_command(cmd);
            commands += 1;
        }
        let replies: Result<Vec<redis::RedisResult<redis::Value>>, Error> = if commands == 0 {
            Ok(Vec::new())
        } else {
            match adapter.hub.commands().await {
                Ok(mut conn) => pipe.query_async(&mut conn).await.map_err(broker),
                Err(e) => Err(e),
            }
        };
        let mut replies = replies.map(Vec::into_iter);
        let mut reply = || -> Result<redis::Value, Error> {
            match &mut replies {
                Ok(each) => each
                    .next()
                    .unwrap_or_else(|| {
                        Err(redis::RedisError::from((
                            redis::ErrorKind::Client,
                            "no reply",
                        )))
                    })
                    .map_err(broker),
                Err(e) => Err(e.clone()),
            }
        };
        for out in batch.drain(..) {
            match out {
                Outgoing::Flush(done) => {
                    let _ = done.send(());
                }
                Outgoing::Append { deliver, done, .. } => {
                    let offset = reply().and_then(|v| {
                        redis::from_redis_value::<String>(v)
                            .map_err(|e| Error::Broker(e.to_string()))
                    });
                    if let Err(e) = &offset {
                        tracing::warn!(error = %e, "adding to the stream failed");
                    }
                    if let Some(pair) = deliver {
                        let (mut packet, opts) = *pair;
                        // As Node: delivered here even when Redis failed,
                        // then without an offset.
                        if let Ok(offset) = &offset {
                            adapter.add_offset(&mut packet, &opts, offset);
                        }
                        adapter.core.deliver_here(packet, opts);
                    }
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
                Outgoing::Publish { channel, .. } => {
                    if let Err(e) = reply() {
                        tracing::warn!(error = %e, %channel, "publish failed");
                    }
                }
                Outgoing::Session { .. } => {
                    if let Err(e) = reply() {
                        tracing::warn!(error = %e, "session not kept in Redis");
                    }
                }
            }
        }
    }
}

//! Sharded subscriptions (`SSUBSCRIBE`), shared by a server's namespaces:
//! the table of which channel feeds which reader, and the task that makes
//! and drops subscriptions as asked, hands on each message, and after a
//! connection is lost (to a single Redis, or to one node of a Redis
//! Cluster) subscribes to every channel again, with backoff, until Redis
//! answers.
//! Used by the sharded adapter, and by the streams adapter with
//! `use_sharded_pub_sub`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use redis::{PushInfo, PushKind};
use socketio_adapter::Error;
use tokio::sync::{mpsc, oneshot};

use super::link::{Link, Target};
use crate::link::{MAX_DELAY, MIN_DELAY};
use crate::lock;

/// What reads sharded channels: one namespace's adapter.
pub(crate) trait ShardReader: Send + Sync + 'static {
    /// A message on `channel`.
    fn on_shard_message(self: Arc<Self>, channel: &str, payload: Bytes);
}

/// What the subscription task is asked to do.
enum Control {
    Subscribe(String, Option<oneshot::Sender<Result<(), Error>>>),
    Unsubscribe(String),
    /// Answered once every command queued before it is done.
    Settled(oneshot::Sender<()>),
}

/// A confirmation that Redis made a subscription (or why not).
pub(crate) type Confirmation = oneshot::Receiver<Result<(), Error>>;

/// The sharded subscriptions of one server.
pub(crate) struct Subscriptions {
    target: Target,
    timeout: Duration,
    /// Which readers read each subscribed channel.
    channels: Mutex<HashMap<String, Vec<Weak<dyn ShardReader>>>>,
    control: mpsc::UnboundedSender<Control>,
    waiting: Mutex<Option<mpsc::UnboundedReceiver<Control>>>,
}

impl Subscriptions {
    /// Subscriptions on `target`, each connection attempt and reply given
    /// `timeout`.
    pub(crate) fn new(target: Target, timeout: Duration) -> Self {
        let (control, waiting) = mpsc::unbounded_channel();
        Self {
            target,
            timeout,
            channels: Mutex::new(HashMap::new()),
            control,
            waiting: Mutex::new(Some(waiting)),
        }
    }

    /// The task that keeps the subscriptions, the first time it is asked
    /// for (the caller runs it until it drops these subscriptions).
    pub(crate) fn task(self: &Arc<Self>) -> Option<impl Future<Output = ()> + Send + 'static> {
        let control = lock(&self.waiting).take()?;
        Some(run(Arc::downgrade(self), control))
    }

    /// `reader` reads `channel` from now on; the confirmation, when this
    /// is the channel's first reader, tells when Redis made it.
    pub(crate) fn subscribe(
        &self,
        channel: &str,
        reader: Weak<dyn ShardReader>,
    ) -> Option<Confirmation> {
        let mut channels = lock(&self.channels);
        let readers = channels.entry(channel.to_owned()).or_default();
        readers.retain(|w| w.strong_count() > 0);
        let first = readers.is_empty();
        if !readers.iter().any(|w| w.ptr_eq(&reader)) {
            readers.push(reader);
        }
        if !first {
            return None;
        }
        // Queued with the table held, so that the commands for one channel
        // reach Redis in the order the table changed.
        let (done, confirmed) = oneshot::channel();
        let _ = self
            .control
            .send(Control::Subscribe(channel.to_owned(), Some(done)));
        Some(confirmed)
    }

    /// Resolves once every subscription asked for so far is made (or has
    /// failed): the commands go to Redis one at a time, in order.
    pub(crate) async fn settled(&self) -> Result<(), Error> {
        let (done, settled) = oneshot::channel();
        let _ = self.control.send(Control::Settled(done));
        settled.await.map_err(|_| Error::Closed)
    }

    /// `reader` no longer reads `channel` (nothing if it did not).
    pub(crate) fn unsubscribe(&self, channel: &str, reader: &Weak<dyn ShardReader>) {
        let mut channels = lock(&self.channels);
        let Some(readers) = channels.get_mut(channel) else {
            return;
        };
        readers.retain(|w| w.strong_count() > 0 && !w.ptr_eq(reader));
        if readers.is_empty() {
            channels.remove(channel);
            let _ = self.control.send(Control::Unsubscribe(channel.to_owned()));
        }
    }

    /// Redis dropped `channel` by itself (a slot that moved to another node
    /// of a cluster): subscribe again if it is still read.
    fn dropped(&self, channel: &str) {
        let channels = lock(&self.channels);
        if channels.contains_key(channel) {
            let _ = self
                .control
                .send(Control::Subscribe(channel.to_owned(), None));
        }
    }

    /// A message on `channel`, for its readers (with no lock of ours held
    /// while they handle it).
    fn dispatch(&self, channel: &str, payload: &Bytes) {
        let readers: Vec<Arc<dyn ShardReader>> = lock(&self.channels)
            .get(channel)
            .map(|r| r.iter().filter_map(Weak::upgrade).collect())
            .unwrap_or_default();
        for reader in readers {
            reader.on_shard_message(channel, payload.clone());
        }
    }

    /// Opens the connection if need be and subscribes to every channel of
    /// the table.
    async fn resubscribe(
        &self,
        link: &mut Option<Link>,
        pushes: &mpsc::UnboundedSender<PushInfo>,
    ) -> Result<(), Error> {
        if link.is_none() {
            *link = Some(Link::open(&self.target, Some(pushes.clone()), self.timeout).await?);
        }
        let Some(conn) = link.as_mut() else {
            return Ok(());
        };
        let channels: Vec<String> = lock(&self.channels).keys().cloned().collect();
        for channel in channels {
            conn.ssubscribe(&channel).await?;
        }
        Ok(())
    }
}

fn bulk(value: &redis::Value) -> Option<&[u8]> {
    match value {
        redis::Value::BulkString(bytes) => Some(bytes),
        _ => None,
    }
}

/// Keeps the subscriptions of `subs` for as long as they live.
async fn run(subs: Weak<Subscriptions>, mut control: mpsc::UnboundedReceiver<Control>) {
    let (pushes_tx, mut pushes) = mpsc::unbounded_channel::<PushInfo>();
    let mut link: Option<Link> = None;
    let mut lost = true;
    let mut delay = MIN_DELAY;
    loop {
        if lost {
            let Some(s) = subs.upgrade() else { return };
            match s.resubscribe(&mut link, &pushes_tx).await {
                Ok(()) => {
                    lost = false;
                    delay = MIN_DELAY;
                }
                Err(e) => {
                    drop(s);
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
                    PushKind::SMessage => {
                        let (Some(channel), Some(payload)) = (
                            push.data.first().and_then(bulk),
                            push.data.get(1).and_then(bulk),
                        ) else {
                            continue;
                        };
                        let Some(s) = subs.upgrade() else { return };
                        s.dispatch(&String::from_utf8_lossy(channel), &Bytes::copy_from_slice(payload));
                    }
                    // Our own SUNSUBSCRIBEs are told too, but their channels
                    // have left the table by then.
                    PushKind::SUnsubscribe => {
                        let (Some(channel), Some(s)) = (push.data.first().and_then(bulk), subs.upgrade()) else {
                            continue;
                        };
                        s.dropped(&String::from_utf8_lossy(channel));
                    }
                    // A lost connection's subscriptions are gone: on a single
                    // Redis, all of them; in a cluster, those of one node, which
                    // the client does not reconnect to until a command needs
                    // it. Subscribing to every channel again reaches each
                    // channel's node (the others merely confirm).
                    PushKind::Disconnection => {
                        tracing::warn!("a sharded subscription connection was lost; subscribing again");
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
                    Control::Settled(done) => {
                        let _ = done.send(());
                    }
                }
            }
        }
    }
}

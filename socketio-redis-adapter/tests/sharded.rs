//! Servers of this project in one cluster through Redis 7's sharded PUB/SUB
//! (`@socket.io/redis-adapter`'s `createShardedAdapter`): on one Redis,
//! after it restarts, and on a Redis Cluster of three nodes, where the
//! channels of the rooms live on different nodes.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use redis::IntoConnectionInfo;
use socketio_redis_adapter::{
    redis, RedisShardedAdapter, RedisShardedAdapterConfig, SubscriptionMode,
};
use socketio_server::{Server, Socket};
use support::{
    fetch_finds, join, next, node_of, requests_acks_and_disconnects, until_cluster_of, Redis,
};
use tokio::sync::mpsc;

mod support;

const WAIT: Duration = Duration::from_secs(10);

async fn sharded_node(
    redis: &Redis,
    mode: SubscriptionMode,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let config = RedisShardedAdapterConfig::default().subscription_mode(mode);
    node_of(Server::builder().adapter(RedisShardedAdapter::factory(client, config))).await
}

/// The sharded channels `redis` has subscribers for.
async fn shard_channels(url: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut channels: Vec<String> = redis::cmd("PUBSUB")
        .arg("SHARDCHANNELS")
        .query_async(&mut conn)
        .await
        .unwrap();
    channels.sort();
    channels
}

/// Waits until `channel` has `n` sharded subscribers on `url`.
async fn until_subscribers(url: &str, channel: &str, n: usize) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    tokio::time::timeout(WAIT, async {
        loop {
            let (_, count): (String, usize) = redis::cmd("PUBSUB")
                .arg("SHARDNUMSUB")
                .arg(channel)
                .query_async(&mut conn)
                .await
                .unwrap();
            if count == n {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{channel} never had {n} subscribers"));
}

/// A RESP3 connection of the test's own that reads `channels`; what was
/// published there comes out as (channel, payload).
async fn observe(
    url: &str,
    channels: &[&str],
) -> (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedReceiver<(String, String)>,
) {
    let (tx, mut pushes) = mpsc::unbounded_channel();
    let client = redis::Client::open(format!("{url}?protocol=resp3")).unwrap();
    let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    for channel in channels {
        redis::cmd("SSUBSCRIBE")
            .arg(*channel)
            .exec_async(&mut conn)
            .await
            .unwrap();
    }
    let (out, seen) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let _conn = conn;
        while let Some(push) = pushes.recv().await {
            if push.kind != redis::PushKind::SMessage {
                continue;
            }
            let text = |v: &redis::Value| match v {
                redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            };
            let _ = out.send((text(&push.data[0]), text(&push.data[1])));
        }
    });
    (task, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_everything_with_a_channel_per_room() {
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = sharded_node(&redis, SubscriptionMode::Dynamic).await;
    let (b, b_addr, mut b_sockets) = sharded_node(&redis, SubscriptionMode::Dynamic).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut ca, sa) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;
    let (observer, mut seen) = observe(&redis.url, &["socket.io#/#", "socket.io#/#r#"]).await;

    a.emit("hello", "world").unwrap();
    assert_eq!(next(&mut ca).await, r#"42["hello","world"]"#);
    assert_eq!(next(&mut cb).await, r#"42["hello","world"]"#);
    let (channel, payload) = seen.recv().await.unwrap();
    assert_eq!(channel, "socket.io#/#");
    assert!(
        payload.starts_with(r#"{"type":3,"data":{"packet":{"type":2,"data":["hello","world"]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":""#),
        "{payload}"
    );

    // B's room gets its own channel; socket ids do not (dynamic mode).
    sb.join(["r"]);
    until_subscribers(&redis.url, "socket.io#/#r#", 2).await;
    let channels = shard_channels(&redis.url).await;
    assert!(!channels.iter().any(|c| c.contains(sb.id().as_str())));
    a.to("r").emit("room", 1u64).unwrap();
    a.emit("end", ()).unwrap();
    assert_eq!(next(&mut cb).await, r#"42["room",1]"#);
    assert_eq!(next(&mut cb).await, r#"42["end"]"#);
    assert_eq!(next(&mut ca).await, r#"42["end"]"#);
    let (channel, payload) = seen.recv().await.unwrap();
    assert_eq!(channel, "socket.io#/#r#", "{payload}");
    // To one socket id: the main channel.
    a.to(sb.id().as_str()).emit("direct", ()).unwrap();
    assert_eq!(next(&mut cb).await, r#"42["direct"]"#);
    assert_eq!(seen.recv().await.unwrap().0, "socket.io#/#");
    assert_eq!(seen.recv().await.unwrap().0, "socket.io#/#");
    // The observer would count as a server.
    observer.abort();
    until_subscribers(&redis.url, "socket.io#/#", 2).await;

    // The room's channel goes with its last member.
    sb.leave("r");
    until_subscribers(&redis.url, "socket.io#/#r#", 0).await;

    fetch_finds(&a, &[&sa, &sb]).await;

    // sockets_join, applied on B, subscribes B to the new room's channel.
    a.sockets_join(["everyone"]).await.unwrap();
    until_subscribers(&redis.url, "socket.io#/#everyone#", 2).await;
    assert!(sb.rooms().iter().any(|r| r.as_str() == "everyone"));

    sb.join(["r"]);
    until_subscribers(&redis.url, "socket.io#/#r#", 1).await;
    requests_acks_and_disconnects(&a, &b, &mut ca, &mut cb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_settled_a_joined_room_has_its_channel() {
    let redis = Redis::start().await;
    let (_a, a_addr, mut a_sockets) = sharded_node(&redis, SubscriptionMode::Dynamic).await;
    let (_ca, sa) = join(a_addr, &mut a_sockets).await;
    // Open before, so that each question reaches Redis at once.
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for n in 0..20 {
        let room = format!("room-{n}");
        sa.join([room.as_str()]);
        sa.namespace().adapter().settled().await.unwrap();
        let channel = format!("socket.io#/#{room}#");
        let (_, count): (String, usize) = redis::cmd("PUBSUB")
            .arg("SHARDNUMSUB")
            .arg(&channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(count, 1, "{channel} has no subscriber yet");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_mode_keeps_two_channels_and_dynamic_private_one_per_socket() {
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = sharded_node(&redis, SubscriptionMode::Static).await;
    let (_ca, sa) = join(a_addr, &mut a_sockets).await;
    sa.join(["r"]);

    let (b, b_addr, mut b_sockets) = sharded_node(&redis, SubscriptionMode::DynamicPrivate).await;
    let (_cb, sb) = join(b_addr, &mut b_sockets).await;
    sb.join(["s"]);
    until_subscribers(&redis.url, "socket.io#/#s#", 1).await;
    until_subscribers(&redis.url, &format!("socket.io#/#{}#", sb.id()), 1).await;
    // The main channel, each server's response channel, and B's two rooms:
    // none for A's room.
    let channels = shard_channels(&redis.url).await;
    assert_eq!(channels.len(), 5, "{channels:?}");
    assert!(!channels.contains(&"socket.io#/#r#".to_owned()));
    drop((b, a));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_come_back_after_redis_restarts() {
    let mut redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = sharded_node(&redis, SubscriptionMode::Dynamic).await;
    let (b, b_addr, mut b_sockets) = sharded_node(&redis, SubscriptionMode::Dynamic).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut ca, _) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;
    sb.join(["r"]);

    redis.stop().await;
    a.emit("alone", ()).unwrap();
    assert_eq!(next(&mut ca).await, r#"42["alone"]"#);
    let asked = tokio::time::timeout(Duration::from_secs(30), a.fetch_sockets()).await;
    assert!(asked.expect("an answer, not a hang").is_err());

    redis.restart().await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    // The room's channel too.
    until_subscribers(&redis.url, "socket.io#/#r#", 1).await;
    a.to("r").emit("back", ()).unwrap();
    let mut seen = next(&mut cb).await;
    if seen == r#"42["alone"]"# {
        seen = next(&mut cb).await;
    }
    assert_eq!(seen, r#"42["back"]"#);
    assert_eq!(a.fetch_sockets().await.unwrap().len(), 2);
}

/// A namespace without sockets, to drive an adapter by hand.
struct NoSockets;

impl socketio_adapter::LocalSockets for NoSockets {
    fn namespace(&self) -> &str {
        "/"
    }
    fn deliver(
        &self,
        _: &[socketio_adapter::SocketId],
        _: &socketio_parser::Packet,
        _: &socketio_adapter::BroadcastFlags,
    ) {
    }
    fn deliver_with_ack(
        &self,
        _: &[socketio_adapter::SocketId],
        _: &socketio_parser::Packet,
        _: &socketio_adapter::BroadcastFlags,
        _: socketio_adapter::AckSender,
    ) -> usize {
        0
    }
    fn details(&self, _: &[socketio_adapter::SocketId]) -> Vec<socketio_adapter::SocketDetails> {
        Vec::new()
    }
    fn disconnect(&self, _: &[socketio_adapter::SocketId], _: bool) {}
    fn server_side_emit(
        &self,
        _: Vec<socketio_server::Value>,
        _: Option<socketio_adapter::AckSender>,
    ) {
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_made_before_init_get_their_channel_and_close_leaves_none() {
    use socketio_adapter::{AdapterFactory, LocalSockets, Room, SocketId};
    let redis = Redis::start().await;
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let factory = RedisShardedAdapter::factory(client, RedisShardedAdapterConfig::default());
    let sockets: std::sync::Arc<dyn LocalSockets> = std::sync::Arc::new(NoSockets);
    let adapter = factory.create(std::sync::Arc::downgrade(&sockets));
    // The server starts an adapter in the background: rooms may come first.
    let id = SocketId::from("aaaaaaaaaaaaaaaaaaaa");
    adapter.add_all(&id, &[Room::from(id.as_str()), Room::from("early")]);
    adapter.init().await.unwrap();
    until_subscribers(&redis.url, "socket.io#/#early#", 1).await;
    // The socket's own room gets none (dynamic mode).
    assert_eq!(shard_channels(&redis.url).await.len(), 3);
    adapter.add_all(&id, &[Room::from("later")]);
    until_subscribers(&redis.url, "socket.io#/#later#", 1).await;
    adapter.del(&id, &Room::from("early"));
    until_subscribers(&redis.url, "socket.io#/#early#", 0).await;

    adapter.close().await.unwrap();
    until_subscribers(&redis.url, "socket.io#/#", 0).await;
    until_subscribers(&redis.url, "socket.io#/#later#", 0).await;
    assert!(shard_channels(&redis.url).await.is_empty());
}

/// Three `redis-server`s made one Redis Cluster, the slots split in three.
struct RedisCluster {
    nodes: Vec<Redis>,
}

impl RedisCluster {
    async fn start() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let file = std::env::temp_dir()
                .join(format!("socketio-rs-nodes-{}-{n}.conf", std::process::id()));
            let _ = std::fs::remove_file(&file);
            let file = file.to_string_lossy().into_owned();
            nodes.push(
                Redis::start_with(&["--cluster-enabled", "yes", "--cluster-config-file", &file])
                    .await,
            );
        }
        let ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
        let mut conns = Vec::new();
        for (node, (from, to)) in nodes.iter().zip(ranges) {
            let client = redis::Client::open(node.url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            redis::cmd("CLUSTER")
                .arg("ADDSLOTSRANGE")
                .arg(from)
                .arg(to)
                .exec_async(&mut conn)
                .await
                .unwrap();
            conns.push(conn);
        }
        for node in &nodes[1..] {
            redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(node.port())
                .exec_async(&mut conns[0])
                .await
                .unwrap();
        }
        let cluster = Self { nodes };
        cluster.until_ok().await;
        cluster
    }

    /// Waits until every node says the cluster is whole.
    async fn until_ok(&self) {
        tokio::time::timeout(Duration::from_secs(30), async {
            for node in &self.nodes {
                let client = redis::Client::open(node.url.as_str()).unwrap();
                let mut conn = loop {
                    if let Ok(conn) = client.get_multiplexed_async_connection().await {
                        break conn;
                    }
                    tokio::task::yield_now().await;
                };
                loop {
                    let info: String = redis::cmd("CLUSTER")
                        .arg("INFO")
                        .query_async(&mut conn)
                        .await
                        .unwrap();
                    if info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3") {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
            }
        })
        .await
        .expect("the Redis Cluster is not whole");
    }

    /// The node that holds `channel`'s subscribers.
    async fn holder(&self, channel: &str) -> usize {
        tokio::time::timeout(WAIT, async {
            loop {
                for (i, node) in self.nodes.iter().enumerate() {
                    if shard_channels(&node.url).await.iter().any(|c| c == channel) {
                        return i;
                    }
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{channel} not subscribed on any node"))
    }

    /// A server of this project on this cluster (sharded, default mode).
    async fn server(&self) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
        let factory =
            RedisShardedAdapter::cluster_factory(self.urls(), RedisShardedAdapterConfig::default());
        node_of(Server::builder().adapter(factory)).await
    }

    fn urls(&self) -> Vec<redis::ConnectionInfo> {
        self.nodes
            .iter()
            .map(|n| n.url.as_str().into_connection_info().unwrap())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_of_three_nodes() {
    let cluster = RedisCluster::start().await;
    let mut servers = vec![cluster.server().await, cluster.server().await];
    let (b, b_addr, mut b_sockets) = servers.pop().unwrap();
    let (a, a_addr, mut a_sockets) = servers.pop().unwrap();
    // SHARDNUMSUB asked of every node and summed.
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut ca, _) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;

    // Rooms whose channels hash to slots of different nodes.
    let rooms = ["r0", "r1", "r2", "r3", "r4", "r5"];
    sb.join(rooms);
    let mut on = std::collections::HashSet::new();
    for room in rooms {
        let channel = format!("socket.io#/#{room}#");
        // Which node holds it: the one whose SHARDNUMSUB counts B.
        let mut found = false;
        tokio::time::timeout(WAIT, async {
            while !found {
                for (i, node) in cluster.nodes.iter().enumerate() {
                    if shard_channels(&node.url).await.contains(&channel) {
                        on.insert(i);
                        found = true;
                    }
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{channel} not subscribed"));
    }
    assert!(on.len() > 1, "all room channels on one node: {on:?}");
    for room in rooms {
        a.to(room).emit("room", room).unwrap();
        assert_eq!(next(&mut cb).await, format!(r#"42["room","{room}"]"#));
    }
    a.emit("all", ()).unwrap();
    assert_eq!(next(&mut ca).await, r#"42["all"]"#);
    assert_eq!(next(&mut cb).await, r#"42["all"]"#);
    assert_eq!(a.fetch_sockets().await.unwrap().len(), 2);
    sb.join(["r"]);
    tokio::time::timeout(WAIT, async {
        loop {
            let mut n = 0;
            for node in &cluster.nodes {
                n += usize::from(
                    shard_channels(&node.url)
                        .await
                        .contains(&"socket.io#/#r#".into()),
                );
            }
            if n == 1 {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    requests_acks_and_disconnects(&a, &b, &mut ca, &mut cb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_node_that_restarts_gets_its_subscriptions_back() {
    let mut cluster = RedisCluster::start().await;
    let mut servers = vec![cluster.server().await, cluster.server().await];
    let (b, b_addr, mut b_sockets) = servers.pop().unwrap();
    let (a, _a_addr, _a_sockets) = servers.pop().unwrap();
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;
    sb.join(["r0"]);
    let channel = "socket.io#/#r0#";
    let i = cluster.holder(channel).await;

    // The node of the room's slot goes down and comes back (with its slots,
    // from its cluster config file).
    cluster.nodes[i].restart().await;
    cluster.until_ok().await;
    assert_eq!(cluster.holder(channel).await, i);
    until_cluster_of(&a, 2).await;
    // A's first publish to the node may meet the connection it lost: it is
    // dropped then, as Node drops it; the next ones go through.
    let mut heard = false;
    for _ in 0..20 {
        a.to("r0").emit("back", ()).unwrap();
        let read = tokio::time::timeout(Duration::from_millis(500), cb.next()).await;
        if let Ok(Some(Ok(message))) = read {
            if message.to_text().unwrap_or_default() == r#"42["back"]"# {
                heard = true;
                break;
            }
        }
    }
    assert!(heard, "the room's broadcasts never came back");
}

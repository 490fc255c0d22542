//! One cluster of a Node.js server (socket.io 4.8.1 with
//! `@socket.io/redis-adapter` 8.3.0, `interop/cluster_node.js`) and one of
//! ours (`examples::cluster`), through a real `redis-server`: real
//! `socket.io-client` 4.8.1 clients on both check every cross-server
//! operation started from each side (`interop/cluster_check.js`), in `/` and
//! `/custom`.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use interop::RedisServer;
use socketio_redis_adapter::{
    redis, RedisAdapter, RedisAdapterConfig, RedisShardedAdapter, RedisShardedAdapterConfig,
    RedisStreamsAdapter, RedisStreamsAdapterConfig,
};
use socketio_server::{Recovery, Server};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Node.js node, started and listening.
async fn node_node(redis: &RedisServer, adapter: &str, key: &str, name: &str) -> (Child, String) {
    node_node_with(redis, adapter, key, name, &[]).await
}

/// As [`node_node`], with more of the environment.
async fn node_node_with(
    redis: &RedisServer,
    adapter: &str,
    key: &str,
    name: &str,
    more: &[(&str, &str)],
) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .arg(interop::dir().join("cluster_node.js"))
        .envs([
            ("PORT", port.to_string()),
            ("REDIS_URL", redis.url.clone()),
            ("ADAPTER", adapter.to_owned()),
            ("KEY", key.to_owned()),
            ("NODE_NAME", name.to_owned()),
        ])
        .envs(more.iter().copied())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the Node node listens")
        .unwrap();
    assert_eq!(line.as_deref(), Some("listening"));
    (child, format!("http://127.0.0.1:{port}"))
}

/// Our node, in this process.
async fn rust_node(redis: &RedisServer, key: &str, name: &str) -> (Server, String) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let io = Server::builder()
        .adapter(RedisAdapter::factory(
            client,
            RedisAdapterConfig::default().key(key),
        ))
        .without_client_bundle()
        .build();
    examples::cluster::serve_node(&io, name);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, format!("http://{addr}"))
}

/// Our node with the streams adapter and connection state recovery; with
/// `sharded`, requests over sharded PUB/SUB.
async fn rust_streams_node(
    redis: &RedisServer,
    key: &str,
    name: &str,
    sharded: bool,
) -> (Server, String) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let io = Server::builder()
        .adapter(RedisStreamsAdapter::factory(
            client,
            RedisStreamsAdapterConfig::default()
                .stream_name(key)
                .channel_prefix(key)
                .use_sharded_pub_sub(sharded),
        ))
        .connection_state_recovery(Recovery::default())
        .without_client_bundle()
        .build();
    examples::cluster::serve_node(&io, name);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, format!("http://{addr}"))
}

/// Our node with the sharded adapter (default mode: a channel per room).
async fn rust_sharded_node(redis: &RedisServer, key: &str, name: &str) -> (Server, String) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let io = Server::builder()
        .adapter(RedisShardedAdapter::factory(
            client,
            RedisShardedAdapterConfig::default().channel_prefix(key),
        ))
        .without_client_bundle()
        .build();
    examples::cluster::serve_node(&io, name);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, format!("http://{addr}"))
}

/// Waits until each namespace of `io` counts `servers` in its cluster.
async fn until_cluster_of(io: &Server, servers: usize) {
    for nsp in ["/", "/custom"] {
        interop::until_cluster_of(io.of(nsp).adapter().as_ref(), servers).await;
    }
}

/// Runs `cluster_check.js` against the Node node on `node_url` and ours on
/// `rust_url` (with `mode`: `all-rooms`, `streams` or none), and asserts
/// that all of its `checks` passed, from each node, in each namespace.
async fn check_both_ways(
    io: Server,
    node_url: String,
    rust_url: String,
    mode: &str,
    checks: usize,
) {
    until_cluster_of(&io, 2).await;
    let args = [
        node_url,
        "N".to_owned(),
        rust_url,
        "R".to_owned(),
        mode.to_owned(),
    ];
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client("cluster check", "cluster_check.js", &args)
    })
    .await
    .unwrap();
    let results = seen["results"].as_array().unwrap();
    assert_eq!(results.len(), checks * 2 * 2, "{seen}");
    let failed: Vec<_> = results.iter().filter(|r| r["ok"] != true).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_and_a_rust_server_form_one_classic_cluster() {
    let redis = RedisServer::start().await;
    let key = "check-classic";
    let (_node, node_url) = node_node(&redis, "classic", key, "N").await;
    let (io, rust_url) = rust_node(&redis, key, "R").await;
    // 13 checks and all-rooms.
    check_both_ways(io, node_url, rust_url, "all-rooms", 14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_and_a_rust_server_form_one_streams_cluster() {
    let redis = RedisServer::start().await;
    let key = "check-streams";
    let (_node, node_url) = node_node(&redis, "streams", key, "N").await;
    let (io, rust_url) = rust_streams_node(&redis, key, "R", false).await;
    // 13 checks and a client recovering its session on the other node.
    check_both_ways(io, node_url, rust_url, "streams", 14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_cluster_with_sharded_pub_sub() {
    let redis = RedisServer::start().await;
    let key = "check-streams-sharded";
    let more = [("USE_SHARDED_PUBSUB", "1")];
    let (_node, node_url) = node_node_with(&redis, "streams", key, "N", &more).await;
    let (io, rust_url) = rust_streams_node(&redis, key, "R", true).await;
    check_both_ways(io, node_url, rust_url, "streams", 14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_and_a_rust_server_form_one_sharded_cluster() {
    let redis = RedisServer::start().await;
    let key = "check-sharded";
    let (_node, node_url) = node_node(&redis, "sharded", key, "N").await;
    let (io, rust_url) = rust_sharded_node(&redis, key, "R").await;
    // The 13 checks (the sharded adapter has no allRooms).
    check_both_ways(io, node_url, rust_url, "", 13).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_example_shares_messages_and_the_online_count() {
    let redis = RedisServer::start().await;
    let mut urls = Vec::new();
    let mut servers = Vec::new();
    for label in ["A", "B"] {
        let client = redis::Client::open(redis.url.as_str()).unwrap();
        let io = Server::builder()
            .adapter(RedisAdapter::factory(client, RedisAdapterConfig::default()))
            .without_client_bundle()
            .build();
        examples::cluster::demo_sockets(&io, label);
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        urls.push(format!("http://{addr}"));
        servers.push(io);
    }
    for io in &servers {
        interop::until_cluster_of(io.sockets().adapter().as_ref(), 2).await;
    }
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client("cluster example", "cluster_demo_client.js", &urls)
    })
    .await
    .unwrap();
    assert_eq!(
        seen,
        serde_json::json!({
            "welcome": ["A", "B"],
            "online": [2],
            "messages": [
                {"from": "A", "text": "hello from a"},
                {"from": "B", "text": "hello from b"},
            ],
        })
    );
}

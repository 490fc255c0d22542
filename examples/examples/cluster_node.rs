//! A node of a cluster through Redis, as `shared/CLUSTER_NODE.md` describes
//! it: outside tools put it in one Redis with a Node.js node (or another of
//! these) and check every cross-server operation from real clients.
//!
//! ```text
//! PORT=3001 REDIS_URL=redis://127.0.0.1:6379 ADAPTER=classic KEY=socket.io NODE_NAME=A \
//!   cargo run --release -p examples --example cluster_node
//! ```
//!
//! `ADAPTER=classic` is `@socket.io/redis-adapter`'s `createAdapter`;
//! `ADAPTER=sharded` its `createShardedAdapter` (Redis 7, a channel per
//! room); `ADAPTER=streams` is `@socket.io/redis-streams-adapter` 0.3's,
//! with connection state recovery on. Namespaces `/` and `/custom` behave
//! alike.

use socketio_redis_adapter::{
    redis, RedisAdapter, RedisAdapterConfig, RedisShardedAdapter, RedisShardedAdapterConfig,
    RedisStreamsAdapter, RedisStreamsAdapterConfig,
};
use socketio_server::{Recovery, Server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let env = |name: &str| std::env::var(name).ok();
    let port: u16 = env("PORT").and_then(|p| p.parse().ok()).unwrap_or(3000);
    let redis_url = env("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let key = env("KEY").unwrap_or_else(|| "socket.io".into());
    let name = env("NODE_NAME").unwrap_or_else(|| "A".into());
    let adapter = env("ADAPTER").unwrap_or_else(|| "classic".into());
    let client = redis::Client::open(redis_url)?;
    let io = match adapter.as_str() {
        "classic" => Server::builder().adapter(RedisAdapter::factory(
            client,
            RedisAdapterConfig::default().key(key),
        )),
        "sharded" => Server::builder().adapter(RedisShardedAdapter::factory(
            client,
            RedisShardedAdapterConfig::default().channel_prefix(key),
        )),
        "streams" => Server::builder()
            .adapter(RedisStreamsAdapter::factory(
                client,
                RedisStreamsAdapterConfig::default()
                    .stream_name(key.as_str())
                    .channel_prefix(key),
            ))
            .connection_state_recovery(Recovery::default()),
        other => return Err(format!("ADAPTER={other}: one of classic, sharded, streams").into()),
    }
    .build();
    examples::cluster::serve_node(&io, &name);
    let addr = io.listen(("127.0.0.1", port)).await?;
    println!("cluster node {name} on http://{addr}/socket.io/");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    io.close().await;
    Ok(())
}

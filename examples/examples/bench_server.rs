//! The server that performance is measured on.
//!
//! Build and run it with `cargo run --release -p examples --example
//! bench_server`; it listens on 127.0.0.1:$PORT (default 3000), path
//! `/socket.io/`, namespace `/`, default options otherwise:
//!
//! - `echo` (data) emits `echo` (data) back to the sender;
//! - `echo_ack` (data, ack) calls the ack with (data);
//! - `broadcast` (data) emits `broadcast` (data) to every connected socket,
//!   the sender included.
//!
//! With `REDIS_URL` set, it joins the cluster of that Redis
//! (`socketio-redis-adapter`, key `socket.io`): `ADAPTER=classic` (the
//! default) or `sharded`.

use examples::bench_connection;
use socketio_redis_adapter::{
    redis, RedisAdapter, RedisAdapterConfig, RedisShardedAdapter, RedisShardedAdapterConfig,
};
use socketio_server::{Server, Socket};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let mut builder = Server::builder();
    if let Ok(url) = std::env::var("REDIS_URL") {
        let client = redis::Client::open(url)?;
        builder = match std::env::var("ADAPTER").as_deref() {
            Ok("sharded") => builder.adapter(RedisShardedAdapter::factory(
                client,
                RedisShardedAdapterConfig::default(),
            )),
            _ => builder.adapter(RedisAdapter::factory(client, RedisAdapterConfig::default())),
        };
    }
    let io = builder.build();
    io.of("/")
        .on_connection(|socket: Socket| async move { bench_connection(socket) });
    let addr = io.listen(("127.0.0.1", examples::port())).await?;
    println!("socket.io bench server on http://{addr}/socket.io/");
    tokio::signal::ctrl_c().await?;
    io.close().await;
    Ok(())
}

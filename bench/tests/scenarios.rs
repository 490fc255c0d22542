//! Every scenario of the load generator, at a small scale, against this
//! server in the same process; and the checks that make a run fail.

use std::net::SocketAddr;
use std::time::Duration;

use bench::{scenario, Probe};
use socketio_server::extract::Data;
use socketio_server::{Server, Socket, Value};

async fn bench_server() -> (Server, SocketAddr) {
    let io = Server::builder().build();
    io.of("/")
        .on_connection(|socket: Socket| async move { examples::bench_connection(socket) });
    let addr = io.listen(("127.0.0.1", 0)).await.expect("listen");
    (io, addr)
}

fn probe() -> Probe {
    Probe::of(std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_counts_its_operations() {
    let (io, addr) = bench_server().await;
    let echo = scenario::echo(addr, &probe(), 5, 20, false)
        .await
        .expect("echo");
    assert_eq!(echo.ops, 100);
    let ack = scenario::echo(addr, &probe(), 5, 20, true)
        .await
        .expect("ack");
    assert_eq!(ack.ops, 100);
    let broadcast = scenario::broadcast(&[addr], &probe(), 10, 50, 5)
        .await
        .expect("broadcast");
    assert_eq!(broadcast.ops, 500);
    assert_eq!(broadcast.out_of_order, 0);
    assert!(broadcast.p99_ms.is_some());
    let connects = scenario::connects(addr, &probe(), 30, 3)
        .await
        .expect("connect");
    assert_eq!(connects.ops, 30);
    let polling = scenario::polling(addr, &probe(), 3, 10)
        .await
        .expect("polling");
    assert_eq!(polling.ops, 30);
    let idle = scenario::idle_memory(addr, &probe(), 50, Duration::ZERO, Duration::ZERO)
        .await
        .expect("idle");
    assert_eq!(idle.ops, 50);
    assert!(idle.rss_kib_per_conn.is_some());
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_echo_fails_the_run() {
    let io = Server::builder().build();
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("echo", |socket: Socket, Data(_): Data<Value>| async move {
            let _ = socket.emit("echo", "something else");
        });
    });
    let addr = io.listen(("127.0.0.1", 0)).await.expect("listen");
    let error = scenario::echo(addr, &probe(), 2, 5, false)
        .await
        .expect_err("a changed payload is an error");
    assert!(error.to_string().contains("something else"), "{error}");
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_received_twice_fails_the_run() {
    let io = Server::builder().build();
    io.of("/").on_connection(|socket: Socket| async move {
        // Every broadcast but the first goes out twice: receivers see a
        // sequence number again.
        socket.on(
            "broadcast",
            |socket: Socket, Data(data): Data<Value>| async move {
                let _ = socket.namespace().emit("broadcast", data.clone());
                if !data.as_str().is_some_and(|s| s.starts_with("c0-s0-")) {
                    let _ = socket.namespace().emit("broadcast", data);
                }
            },
        );
    });
    let addr = io.listen(("127.0.0.1", 0)).await.expect("listen");
    let error = scenario::broadcast(&[addr], &probe(), 3, 10, 2)
        .await
        .expect_err("a doubled broadcast is an error");
    assert!(error.to_string().contains("twice"), "{error}");
    io.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_across_a_cluster_reaches_every_receiver_of_both_servers() {
    use socketio_redis_adapter::{redis, RedisAdapter, RedisAdapterConfig};
    let redis = interop::RedisServer::start().await;
    let mut servers = Vec::new();
    for _ in 0..2 {
        let client = redis::Client::open(redis.url.as_str()).expect("url");
        let io = Server::builder()
            .adapter(RedisAdapter::factory(client, RedisAdapterConfig::default()))
            .build();
        io.of("/")
            .on_connection(|socket: Socket| async move { examples::bench_connection(socket) });
        let addr = io.listen(("127.0.0.1", 0)).await.expect("listen");
        servers.push((io, addr));
    }
    for (io, _) in &servers {
        interop::until_cluster_of(io.sockets().adapter().as_ref(), 2).await;
    }
    let addrs: Vec<_> = servers.iter().map(|(_, addr)| *addr).collect();
    let measured = scenario::broadcast(&addrs, &probe(), 6, 30, 5)
        .await
        .expect("every receiver, on either server, gets every broadcast once");
    assert_eq!(measured.ops, 180);
    assert_eq!(measured.out_of_order, 0);
}

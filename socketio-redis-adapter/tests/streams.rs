//! Servers of this project in one cluster through a real Redis with the
//! streams adapter (`@socket.io/redis-streams-adapter` 0.3's protocol):
//! broadcasts and joins through the stream, requests over PUB/SUB, and a
//! client that loses its connection to one server recovers its session,
//! and what it missed, on the other.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use socketio_redis_adapter::{redis, RedisStreamsAdapter, RedisStreamsAdapterConfig};
use socketio_server::{Recovery, Server, Socket};
use support::{
    fetch_finds, join, next, node_of, requests_acks_and_disconnects, send, until_cluster_of, Redis,
    Ws,
};
use tokio::sync::mpsc;

mod support;

async fn streams_node(
    redis: &Redis,
    recovery: bool,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    streams_node_with(redis, recovery, RedisStreamsAdapterConfig::default()).await
}

async fn streams_node_with(
    redis: &Redis,
    recovery: bool,
    config: RedisStreamsAdapterConfig,
) -> (Server, SocketAddr, mpsc::UnboundedReceiver<Socket>) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut builder = Server::builder().adapter(RedisStreamsAdapter::factory(client, config));
    if recovery {
        builder = builder.connection_state_recovery(Recovery::default());
    }
    node_of(builder).await
}

/// Waits until `servers` readers block on the stream (each reads only what
/// is added after its first XREAD, as in Node).
async fn until_readers(redis: &Redis, servers: usize) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let info: String = redis::cmd("INFO")
                .arg("clients")
                .query_async(&mut conn)
                .await
                .unwrap();
            let blocked = info
                .lines()
                .find_map(|l| l.strip_prefix("blocked_clients:"))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if blocked >= servers {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_broadcasts_rooms_and_requests() {
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = streams_node(&redis, false).await;
    let (b, b_addr, mut b_sockets) = streams_node(&redis, false).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    let (mut ca, sa) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;

    a.emit("hello", "world").unwrap();
    assert_eq!(next(&mut ca).await, r#"42["hello","world"]"#);
    assert_eq!(next(&mut cb).await, r#"42["hello","world"]"#);

    // A room of B's socket, reached from A; A's client is not in it.
    sb.join(["r"]);
    a.to("r").emit("room", 1u64).unwrap();
    a.emit("end", ()).unwrap();
    assert_eq!(next(&mut cb).await, r#"42["room",1]"#);
    assert_eq!(next(&mut cb).await, r#"42["end"]"#);
    assert_eq!(next(&mut ca).await, r#"42["end"]"#);

    // fetch_sockets sees both, with the remote one's rooms.
    let found = fetch_finds(&a, &[&sa, &sb]).await;
    let remote = found.iter().find(|s| s.id() == sb.id()).unwrap();
    assert!(remote.rooms().iter().any(|r| r.as_str() == "r"));

    // sockets_join through the stream, applied on B.
    a.sockets_join(["everyone"]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !sb.rooms().iter().any(|r| r.as_str() == "everyone") {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();

    requests_acks_and_disconnects(&a, &b, &mut ca, &mut cb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_may_go_over_sharded_pub_sub() {
    let redis = Redis::start().await;
    let config = || RedisStreamsAdapterConfig::default().use_sharded_pub_sub(true);
    let (a, a_addr, mut a_sockets) = streams_node_with(&redis, false, config()).await;
    let (b, b_addr, mut b_sockets) = streams_node_with(&redis, false, config()).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    // Counted among sharded subscribers, not classic ones.
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (_, classic): (String, usize) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("socket.io#/#")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(classic, 0);
    let (mut ca, _) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;
    assert_eq!(a.fetch_sockets().await.unwrap().len(), 2);
    sb.join(["r"]);
    requests_acks_and_disconnects(&a, &b, &mut ca, &mut cb).await;
}

/// A raw client of `/` on `addr` with the auth `auth`; the CONNECT answer.
async fn connect(addr: SocketAddr, auth: &str) -> (Ws, String) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert!(next(&mut ws).await.starts_with("0{"));
    send(&mut ws, &format!("40{auth}")).await;
    let connected = next(&mut ws).await;
    (ws, connected)
}

fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let start = json.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
    let end = start + json[start..].find('"').unwrap();
    &json[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_on_one_server_is_recovered_on_the_other() {
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = streams_node(&redis, true).await;
    let (b, b_addr, _b_sockets) = streams_node(&redis, true).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;

    let (mut ws, connected) = connect(a_addr, "").await;
    let (sid, pid) = (
        field(&connected, "sid").to_owned(),
        field(&connected, "pid").to_owned(),
    );
    let socket = tokio::time::timeout(Duration::from_secs(10), a_sockets.recv())
        .await
        .unwrap()
        .unwrap();
    socket.join(["room1"]);
    // An emit to the socket goes through the stream: it ends with the
    // entry's id, the offset the client will come back with.
    socket.emit("hello", "A").unwrap();
    let hello = next(&mut ws).await;
    let offset = hello
        .strip_prefix(r#"42["hello","A",""#)
        .and_then(|rest| rest.strip_suffix("\"]"))
        .unwrap_or_else(|| panic!("{hello}"))
        .to_owned();
    assert!(offset.contains('-'), "{offset}");

    // The connection drops; A keeps the session in Redis before the socket
    // is gone from its answers.
    drop(ws);
    tokio::time::timeout(Duration::from_secs(10), async {
        while !b.fetch_sockets().await.unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    // Meanwhile B broadcasts to the room, and to a room the socket is not in.
    b.to("room1").emit("missed", 1u64).unwrap();
    b.to("elsewhere").emit("not-for-you", ()).unwrap();
    b.emit("missed", 2u64).unwrap();

    // The client comes back, to B: same id, and what it missed, in order,
    // each with its offset.
    let (mut ws, connected) =
        connect(b_addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    assert_eq!(field(&connected, "sid"), sid, "{connected}");
    for n in [1, 2] {
        let missed = next(&mut ws).await;
        assert!(
            missed.starts_with(&format!(r#"42["missed",{n},""#)),
            "{missed}"
        );
    }
    // Its rooms came back with it.
    b.to("room1").emit("again", ()).unwrap();
    let again = next(&mut ws).await;
    assert!(again.starts_with(r#"42["again",""#), "{again}");
    // A session is recovered once: the same pid again gets a new socket.
    let (_ws, connected) =
        connect(a_addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    assert_ne!(field(&connected, "sid"), sid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_outlive_the_server_that_closed_them() {
    // A server restart: A shuts down with a client connected; the client
    // comes back to B and gets its session, as recovery promised.
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = streams_node(&redis, true).await;
    let (b, b_addr, _b_sockets) = streams_node(&redis, true).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    let (mut ws, connected) = connect(a_addr, "").await;
    let (sid, pid) = (
        field(&connected, "sid").to_owned(),
        field(&connected, "pid").to_owned(),
    );
    let socket = a_sockets.recv().await.unwrap();
    socket.emit("hello", ()).unwrap();
    let hello = next(&mut ws).await;
    let offset = hello
        .strip_prefix(r#"42["hello",""#)
        .and_then(|rest| rest.strip_suffix("\"]"))
        .unwrap_or_else(|| panic!("{hello}"))
        .to_owned();
    a.close().await;
    drop(a);
    b.emit("while-away", ()).unwrap();
    let (mut ws, connected) =
        connect(b_addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    assert_eq!(field(&connected, "sid"), sid, "{connected}");
    let missed = next(&mut ws).await;
    assert!(missed.starts_with(r#"42["while-away",""#), "{missed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_read_again_after_redis_restarts() {
    let mut redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = streams_node(&redis, false).await;
    let (b, b_addr, mut b_sockets) = streams_node(&redis, false).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    let (mut ca, _) = join(a_addr, &mut a_sockets).await;
    let (mut cb, _) = join(b_addr, &mut b_sockets).await;

    redis.stop().await;
    // A's own clients still hear A; what needs Redis fails, not hangs.
    a.emit("alone", ()).unwrap();
    assert_eq!(next(&mut ca).await, r#"42["alone"]"#);
    let asked = tokio::time::timeout(Duration::from_secs(30), a.fetch_sockets()).await;
    assert!(asked.expect("an answer, not a hang").is_err());

    redis.restart().await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    a.emit("back", ()).unwrap();
    // "alone" may reach B late (queued while Redis was away); nothing else.
    let mut seen = next(&mut cb).await;
    if seen == r#"42["alone"]"# {
        seen = next(&mut cb).await;
    }
    assert_eq!(seen, r#"42["back"]"#);
    assert_eq!(next(&mut ca).await, r#"42["back"]"#);
    assert_eq!(a.fetch_sockets().await.unwrap().len(), 2);
}

/// What a client of `field`'s kind read: the `tick`s (their numbers), the
/// offset of the last packet, and whether `end` came.
#[derive(Default)]
struct Read {
    ticks: Vec<u64>,
    offset: String,
    ended: bool,
}

/// Reads `ws` until `end` or until the connection drops.
async fn read_ticks(mut ws: Ws, mut read: Read) -> Read {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        let Message::Text(text) = frame else { continue };
        if let Some(rest) = text.strip_prefix(r#"42["tick","#) {
            let (n, offset) = rest.split_once(",\"").unwrap();
            read.ticks.push(n.parse().unwrap());
            read.offset = offset.trim_end_matches("\"]").to_owned();
        } else if text.starts_with(r#"42["end""#) {
            read.ended = true;
            return read;
        }
    }
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_under_load_loses_no_recovered_packet() {
    // 20 clients of A hear B's ticks; A shuts down in the middle; each
    // client comes back to B and, between what it read and what it
    // recovers, has every tick once and in order.
    const CLIENTS: usize = 20;
    const TICKS: u64 = 300;
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = streams_node(&redis, true).await;
    let (b, b_addr, mut b_sockets) = streams_node(&redis, true).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    until_readers(&redis, 2).await;
    // A client of B: once it has `end`, B has added every tick to the stream.
    let (witness, _) = join(b_addr, &mut b_sockets).await;
    let mut readers = Vec::new();
    for _ in 0..CLIENTS {
        let (mut ws, connected) = connect(a_addr, "").await;
        let pid = field(&connected, "pid").to_owned();
        let socket = a_sockets.recv().await.unwrap();
        socket.emit("hello", ()).unwrap();
        let hello = next(&mut ws).await;
        let offset = hello
            .strip_prefix(r#"42["hello",""#)
            .and_then(|rest| rest.strip_suffix("\"]"))
            .unwrap()
            .to_owned();
        let read = Read {
            offset,
            ..Read::default()
        };
        readers.push((pid, tokio::spawn(read_ticks(ws, read))));
    }
    let ticking = tokio::spawn({
        let b = b.clone();
        async move {
            for n in 0..TICKS {
                b.emit("tick", n).unwrap();
                tokio::task::yield_now().await;
            }
        }
    });
    // A goes once its clients have heard some of the ticks.
    tokio::task::yield_now().await;
    a.close().await;
    ticking.await.unwrap();
    b.emit("end", ()).unwrap();
    assert!(read_ticks(witness, Read::default()).await.ended);
    for (pid, reader) in readers {
        let before = reader.await.unwrap();
        let (ws, connected) = connect(
            b_addr,
            &format!(r#"{{"pid":"{pid}","offset":"{}"}}"#, before.offset),
        )
        .await;
        assert!(connected.contains(&pid), "recovered: {connected}");
        let after = read_ticks(ws, Read::default()).await;
        assert!(after.ended, "end recovered");
        let all: Vec<u64> = before.ticks.into_iter().chain(after.ticks).collect();
        assert_eq!(all, (0..TICKS).collect::<Vec<_>>());
    }
}

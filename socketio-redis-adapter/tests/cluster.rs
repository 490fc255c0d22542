//! Two servers of this project in one cluster through a real Redis: what
//! one server does reaches the other's clients, and requests come back
//! answered.
#![allow(clippy::unwrap_used)]

use socketio_server::Value;
use support::{
    join, next, node, node_with, requests_acks_and_disconnects, until_cluster_of, Redis,
};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_broadcasts_rooms_and_requests() {
    let redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = node(&redis, "socket.io").await;
    let (b, b_addr, mut b_sockets) = node(&redis, "socket.io").await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut ca, sa) = join(a_addr, &mut a_sockets).await;
    let (mut cb, sb) = join(b_addr, &mut b_sockets).await;

    // A broadcast from A reaches the clients of both servers.
    a.emit("hello", "world").unwrap();
    assert_eq!(next(&mut ca).await, r#"42["hello","world"]"#);
    assert_eq!(next(&mut cb).await, r#"42["hello","world"]"#);

    // A room lives on the server of its members: only B's client is in it.
    sb.join(["r"]);
    a.to("r").emit("room", 1u64).unwrap();
    a.emit("end", ()).unwrap();
    assert_eq!(next(&mut cb).await, r#"42["room",1]"#);
    assert_eq!(next(&mut cb).await, r#"42["end"]"#);
    assert_eq!(
        next(&mut ca).await,
        r#"42["end"]"#,
        "A's client is not in r"
    );

    // Every room of the cluster, as A sees it: B's room and both ids.
    let rooms = a.sockets().adapter().all_rooms().await.unwrap();
    for room in ["r", sa.id().as_str(), sb.id().as_str()] {
        assert!(
            rooms.iter().any(|r| r.as_str() == room),
            "{room} in {rooms:?}"
        );
    }

    // fetch_sockets from A sees both sockets, with their rooms.
    let mut found: Vec<_> = a.fetch_sockets().await.unwrap();
    found.sort_by(|x, y| x.id().as_str().cmp(y.id().as_str()));
    let mut expected = vec![sa.id().clone(), sb.id().clone()];
    expected.sort();
    assert_eq!(
        found.iter().map(|s| s.id().clone()).collect::<Vec<_>>(),
        expected
    );
    let remote = found.iter().find(|s| s.id() == sb.id()).unwrap();
    assert!(remote.rooms().iter().any(|r| r.as_str() == "r"));

    // sockets_join from A reaches B's socket (B applies it before it
    // answers the next request, which comes after it on the same channel).
    a.sockets_join(["everyone"]).await.unwrap();
    let found = a.fetch_sockets().await.unwrap();
    assert!(found
        .iter()
        .all(|s| s.rooms().iter().any(|r| r.as_str() == "everyone")));
    assert!(sb.rooms().iter().any(|r| r.as_str() == "everyone"));

    requests_acks_and_disconnects(&a, &b, &mut ca, &mut cb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_with_other_keys_never_meet() {
    let redis = Redis::start().await;
    let (a, _, _) = node(&redis, "one").await;
    let (b, _, _) = node(&redis, "two").await;
    until_cluster_of(&a, 1).await;
    until_cluster_of(&b, 1).await;
    assert!(a.fetch_sockets().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_answer_every_request_once() {
    let redis = Redis::start().await;
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(node(&redis, "socket.io").await);
    }
    for (io, _, _) in &nodes {
        until_cluster_of(io, 3).await;
    }
    let mut clients = Vec::new();
    for (_, addr, sockets) in &mut nodes {
        clients.push(join(*addr, sockets).await);
    }
    // A broadcast from the last server reaches the clients of all three.
    nodes[2].0.emit("all", ()).unwrap();
    for (ws, _) in &mut clients {
        assert_eq!(next(ws).await, r#"42["all"]"#);
    }
    // Each of the two others answers once: three sockets, no duplicates.
    let found = nodes[0].0.fetch_sockets().await.unwrap();
    let mut ids: Vec<_> = found.iter().map(|s| s.id().clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((found.len(), ids.len()), (3, 3));
    // Both other servers answer a server-side emit.
    for (io, _, _) in &nodes[1..] {
        io.sockets().on_server_side_emit(|_args, reply| {
            if let Some(reply) = reply {
                reply.answer(vec![Value::from("here")]);
            }
        });
    }
    let answers: Vec<String> = nodes[0]
        .0
        .sockets()
        .server_side_emit_with_ack("roll-call", ())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(answers, ["here", "here"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_on_each_servers_own_response_channel() {
    use socketio_redis_adapter::RedisAdapterConfig;
    // publishOnSpecificResponseChannel: answers go to the asker's own
    // channel, `key-response#nsp#uid#`, which each server reads.
    let redis = Redis::start().await;
    let config = || RedisAdapterConfig::default().publish_on_specific_response_channel(true);
    let (a, _, _) = node_with(&redis, config()).await;
    let (b, b_addr, mut b_sockets) = node_with(&redis, config()).await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (_cb, sb) = join(b_addr, &mut b_sockets).await;
    // Watch every response channel of `/`.
    let watcher = socketio_redis_adapter::redis::Client::open(redis.url.as_str()).unwrap();
    let mut pubsub = watcher.get_async_pubsub().await.unwrap();
    pubsub.psubscribe("socket.io-response#/#*").await.unwrap();
    let mut seen = pubsub.into_on_message();
    let found = a.fetch_sockets().await.unwrap();
    let channel = {
        use futures_util::StreamExt;
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), seen.next())
            .await
            .unwrap()
            .unwrap();
        msg.get_channel_name().to_owned()
    };
    assert_ne!(channel, "socket.io-response#/#", "not the shared channel");
    assert!(
        channel.starts_with("socket.io-response#/#") && channel.ends_with('#'),
        "{channel}"
    );
    assert_eq!(
        found.iter().map(|s| s.id().clone()).collect::<Vec<_>>(),
        [sb.id().clone()]
    );
    let rooms = a.sockets().adapter().all_rooms().await.unwrap();
    assert!(rooms.iter().any(|r| r.as_str() == sb.id().as_str()));
}

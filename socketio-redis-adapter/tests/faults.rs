//! Redis goes away and comes back: local delivery never stops, what needs
//! Redis fails with an error instead of hanging, and the servers find each
//! other again once it is back.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use support::{join, next, node, until_cluster_of, Redis};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_comes_back_after_redis_restarts() {
    let mut redis = Redis::start().await;
    let (a, a_addr, mut a_sockets) = node(&redis, "socket.io").await;
    let (b, b_addr, mut b_sockets) = node(&redis, "socket.io").await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    let (mut ca, _) = join(a_addr, &mut a_sockets).await;
    let (mut cb, _) = join(b_addr, &mut b_sockets).await;

    redis.stop().await;
    // A's own clients still hear A.
    a.emit("alone", ()).unwrap();
    assert_eq!(next(&mut ca).await, r#"42["alone"]"#);
    // A request to the cluster fails rather than hangs.
    let asked = tokio::time::timeout(Duration::from_secs(30), a.fetch_sockets()).await;
    assert!(asked.expect("an answer, not a hang").is_err());

    redis.restart().await;
    until_cluster_of(&a, 2).await;
    until_cluster_of(&b, 2).await;
    a.emit("back", ()).unwrap();
    // "alone" may reach B late, published once Redis was back (Node's
    // client queues commands while it reconnects, too); nothing else may.
    let mut seen = next(&mut cb).await;
    if seen == r#"42["alone"]"# {
        seen = next(&mut cb).await;
    }
    assert_eq!(seen, r#"42["back"]"#);
    assert_eq!(next(&mut ca).await, r#"42["back"]"#);
    assert_eq!(a.fetch_sockets().await.unwrap().len(), 2);
}

//! Namespaces: several over one connection, dynamic ones by regex and by
//! predicate, and the cleanup of their empty children.
#![allow(clippy::unwrap_used)]

use socketio_server::{Error, Regex, Server, Socket, Value};
use support::{client, next, send};

mod support;

fn greet(io: &Server) {
    for name in ["/", "/custom"] {
        io.of(name).on_connection(|socket: Socket| async move {
            let name = socket.namespace().name().to_owned();
            let _ = socket.emit("hello", (name,));
        });
    }
}

#[tokio::test]
async fn one_connection_joins_several_namespaces() {
    let io = Server::builder().build();
    greet(&io);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    send(&mut ws, "40/custom,").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40{"));
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["hello","/"]"#);
    assert!(next(&mut ws).await.unwrap().starts_with("40/custom,{"));
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/custom,["hello","/custom"]"#
    );

    io.of("/custom").emit("only", ("custom",)).unwrap();
    io.emit("only", ("root",)).unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/custom,["only","custom"]"#
    );
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["only","root"]"#);

    // Leaving one namespace keeps the other.
    send(&mut ws, "41/custom,").await;
    // A session's packets are handled in order: once this round trip is
    // done, so is the leave.
    send(&mut ws, "40/other,").await;
    assert!(next(&mut ws).await.unwrap().starts_with("44/other,"));
    assert_eq!(io.of("/custom").socket_count(), 0);
    assert_eq!(io.sockets().socket_count(), 1);
    io.emit("still", ()).unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["still"]"#);
}

#[tokio::test]
async fn a_regex_makes_child_namespaces_that_share_handlers_and_middleware() {
    let io = Server::builder().build();
    let parent = io.of_regex(Regex::new(r"^/room-\d+$").unwrap());
    parent.on_connection(|socket: Socket| async move {
        let name = socket.namespace().name().to_owned();
        let _ = socket.emit("hello", (name,));
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;

    send(&mut ws, "40/room-1,").await;
    assert!(next(&mut ws)
        .await
        .unwrap()
        .starts_with("40/room-1,{\"sid\""));
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/room-1,["hello","/room-1"]"#
    );
    send(&mut ws, "40/room-x,").await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44/room-x,{"message":"Invalid namespace"}"#
    );

    // A middleware added to the parent later applies to every child.
    parent.middleware(|_socket: Socket| async move { Err(Error::refused("closed")) });
    send(&mut ws, "40/room-2,").await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44/room-2,{"message":"closed"}"#
    );

    let mut children: Vec<String> = parent
        .children()
        .iter()
        .map(|n| n.name().to_owned())
        .collect();
    children.sort();
    assert_eq!(children, ["/room-1", "/room-2"]);
    assert_eq!(io.of("/room-1").socket_count(), 1);
    parent.emit("to-children", (1,)).unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/room-1,["to-children",1]"#
    );
}

#[tokio::test]
async fn a_predicate_sees_the_name_and_the_auth_payload() {
    let io = Server::builder().build();
    io.of_predicate(|name, auth| {
        let team = name.strip_prefix("/team-");
        team.is_some() && auth.get("team").and_then(Value::as_str) == team
    })
    .on_connection(|socket: Socket| async move {
        let _ = socket.emit("in", (socket.namespace().name().to_owned(),));
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, r#"40/team-red,{"team":"blue"}"#).await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44/team-red,{"message":"Invalid namespace"}"#
    );
    send(&mut ws, r#"40/team-red,{"team":"red"}"#).await;
    assert!(next(&mut ws).await.unwrap().starts_with("40/team-red,{"));
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/team-red,["in","/team-red"]"#
    );
}

#[tokio::test]
async fn an_async_predicate_may_wait_and_packets_keep_their_order() {
    let io = Server::builder().build();
    io.of_predicate_async(|name, auth| {
        let allowed = name.starts_with("/room-") && auth.get("key").is_some();
        async move {
            // A lookup elsewhere.
            tokio::task::yield_now().await;
            allowed
        }
    })
    .on_connection(|socket: Socket| async move {
        let _ = socket.emit("in", socket.namespace().name());
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, r#"40/room-1,{}"#).await;
    send(&mut ws, r#"40/room-2,{"key":1}"#).await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44/room-1,{"message":"Invalid namespace"}"#
    );
    assert!(next(&mut ws).await.unwrap().starts_with("40/room-2,{"));
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"42/room-2,["in","/room-2"]"#
    );
}

async fn child_after_last_socket_leaves(cleanup: bool) -> usize {
    let io = Server::builder()
        .cleanup_empty_child_namespaces(cleanup)
        .build();
    let parent = io.of_regex(Regex::new(r"^/dyn-\d+$").unwrap());
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, "40/dyn-1,").await;
    assert!(next(&mut ws).await.unwrap().starts_with("40/dyn-1,"));
    assert_eq!(parent.children().len(), 1);
    send(&mut ws, "41/dyn-1,").await;
    // Handled in order: once the next CONNECT is answered, the leave (and
    // the cleanup it triggers) is done.
    send(&mut ws, "40/nowhere,").await;
    assert!(next(&mut ws).await.unwrap().starts_with("44/nowhere,"));
    parent.children().len()
}

#[tokio::test]
async fn empty_children_are_removed_only_when_asked() {
    assert_eq!(child_after_last_socket_leaves(true).await, 0);
    assert_eq!(child_after_last_socket_leaves(false).await, 1);
}

//! `Server::instrument`: the protocol of `@socket.io/admin-ui` 0.5, as the
//! UI's socket (in `/admin`) sees it on the wire. The real UI in a real
//! browser is driven by `interop/tests/browser.rs`.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value as Json};
use socketio_server::{AdminAuth, AdminMode, AdminUi, Error, Server, Socket};
use support::{client, next, send, Ws};

mod support;

/// The next event the UI's socket gets in `/admin`, as `[name, ...args]`.
async fn admin_event(ws: &mut Ws) -> Json {
    loop {
        let packet = next(ws).await.expect("connection closed");
        if let Some(event) = packet.strip_prefix("42/admin,") {
            return serde_json::from_str(event).unwrap();
        }
    }
}

/// The next `/admin` event called `name`, skipping others.
async fn admin_event_named(ws: &mut Ws, name: &str) -> Json {
    loop {
        let event = admin_event(ws).await;
        if event[0] == name {
            return event;
        }
    }
}

async fn server(options: AdminUi) -> (Server, std::net::SocketAddr) {
    let io = Server::builder().build();
    io.instrument(options).unwrap();
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr)
}

/// A UI connected to `/admin` with `auth`; returns the CONNECT answer too.
async fn ui(addr: std::net::SocketAddr, auth: Json) -> (Ws, String) {
    let mut ws = client(addr).await;
    send(&mut ws, &format!("40/admin,{auth}")).await;
    // Events may come first (its own `room_joined`), as with Node: the
    // client keeps them until CONNECT.
    loop {
        let answer = next(&mut ws).await.unwrap();
        if answer.starts_with("40/admin,") || answer.starts_with("44/admin,") {
            return (ws, answer);
        }
    }
}

#[tokio::test]
async fn basic_auth_checks_the_bcrypt_hash_and_gives_a_session_that_logs_in_again() {
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let (_io, addr) = server(AdminUi::new(AdminAuth::basic("admin", hash))).await;

    let (_, refused) = ui(addr, json!({"username": "admin", "password": "wrong"})).await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);
    let (_, refused) = ui(addr, json!({"username": "root", "password": "s3cret"})).await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);
    let (_, refused) = ui(addr, json!({"sessionId": "made-up"})).await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);

    let (mut ws, answer) = ui(addr, json!({"username": "admin", "password": "s3cret"})).await;
    assert!(answer.starts_with("40/admin,{"), "{answer}");
    let session = admin_event_named(&mut ws, "session").await;
    let session = session[1].as_str().unwrap().to_owned();
    let config = admin_event_named(&mut ws, "config").await;
    assert_eq!(
        config,
        json!(["config", {"supportedFeatures": [
            "EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT",
            "AGGREGATED_EVENTS", "ALL_EVENTS"
        ]}])
    );

    // The session id alone lets the UI back in (after a page reload).
    let (_, answer) = ui(addr, json!({ "sessionId": session })).await;
    assert!(answer.starts_with("40/admin,{"), "{answer}");
}

#[test]
fn a_password_that_is_not_a_bcrypt_hash_is_refused_at_once() {
    let io = Server::builder().build();
    let refused = io.instrument(AdminUi::new(AdminAuth::basic("admin", "plain")));
    assert!(
        matches!(refused, Err(Error::InvalidAdminConfig(_))),
        "{refused:?}"
    );
    // Instrumenting twice is refused too.
    io.instrument(AdminUi::new(AdminAuth::None)).unwrap();
    let twice = io.instrument(AdminUi::new(AdminAuth::None));
    assert!(
        matches!(twice, Err(Error::InvalidAdminConfig(_))),
        "{twice:?}"
    );
}

#[tokio::test]
async fn the_ui_sees_sockets_rooms_data_and_events_come_and_go() {
    let (io, addr) = server(AdminUi::new(AdminAuth::None).server_id("rust-1")).await;
    io.on_connection(|s: Socket| async move {
        s.on("hello", |s: Socket| async move {
            s.set_data(json!({"nickname": "ann"}));
            let _ = s.emit("welcome", ("ann",));
        });
    });
    let (mut admin, _) = ui(addr, json!({})).await;
    admin_event_named(&mut admin, "config").await;
    let stats = admin_event_named(&mut admin, "server_stats").await;
    assert_eq!(stats[1]["serverId"], "rust-1");
    assert_eq!(stats[1]["pid"], std::process::id());
    assert_eq!(stats[1]["clientsCount"], 1);
    let all = admin_event_named(&mut admin, "all_sockets").await;
    // The UI's own socket is the only one.
    assert_eq!(all[1].as_array().unwrap().len(), 1);
    assert_eq!(all[1][0]["nsp"], "/admin");

    let mut user = client(addr).await;
    send(&mut user, "40").await;
    next(&mut user).await;
    // As in Node, the socket is in its own room before its connection
    // handlers (the UI's first) run.
    let joined = admin_event(&mut admin).await;
    assert_eq!(joined[0], "room_joined");
    let id = joined[2].as_str().unwrap().to_owned();
    assert_eq!(
        joined.as_array().unwrap()[1..4],
        [json!("/"), json!(id), json!(id)]
    );
    let connected = admin_event(&mut admin).await;
    assert_eq!(connected[0], "socket_connected");
    let socket = &connected[1];
    assert_eq!(socket["id"], json!(id));
    assert_eq!(socket["nsp"], "/");
    assert_eq!(socket["data"], json!({}));
    assert_eq!(socket["rooms"], json!([id]));
    assert_eq!(socket["transport"], "websocket");
    assert_eq!(socket["clientId"].as_str().unwrap().len(), 12);
    assert_eq!(socket["handshake"]["address"], "127.0.0.1");
    assert!(socket["handshake"].get("auth").is_none());
    assert!(
        connected[2].as_str().unwrap().ends_with('Z'),
        "a Date: {connected:?}"
    );

    send(&mut user, r#"42["hello",1]"#).await;
    let received = admin_event(&mut admin).await;
    assert_eq!(received[0], "event_received");
    assert_eq!(
        received.as_array().unwrap()[1..4],
        [json!("/"), json!(id), json!(["hello", 1])]
    );
    let updated = admin_event(&mut admin).await;
    assert_eq!(updated[0], "socket_updated");
    assert_eq!(
        updated[1],
        json!({"id": id, "nsp": "/", "data": {"nickname": "ann"}})
    );
    let sent = admin_event(&mut admin).await;
    assert_eq!(sent[0], "event_sent");
    assert_eq!(
        sent.as_array().unwrap()[1..4],
        [json!("/"), json!(id), json!(["welcome", "ann"])]
    );

    send(&mut user, "41").await;
    let gone = admin_event_named(&mut admin, "socket_disconnected").await;
    assert_eq!(
        gone.as_array().unwrap()[1..4],
        [json!("/"), json!(id), json!("client namespace disconnect")]
    );

    // Every two seconds, the engine's traffic of each second: this UI's
    // and the user's connections, the user's two messages in, ...
    let mut connections = 0;
    let mut packets_in = 0;
    while connections < 2 || packets_in < 2 {
        let stats = admin_event_named(&mut admin, "server_stats").await;
        for event in stats[1]["aggregatedEvents"].as_array().unwrap() {
            let count = event["count"].as_u64().unwrap();
            assert_eq!(event["timestamp"].as_u64().unwrap() % 1000, 0);
            match event["type"].as_str().unwrap() {
                "rawConnection" => connections += count,
                "packetsIn" => packets_in += count,
                _ => {}
            }
        }
    }
    assert_eq!(connections, 2);
}

#[tokio::test]
async fn the_ui_makes_sockets_join_leave_receive_and_disconnect() {
    let (io, addr) = server(AdminUi::new(AdminAuth::None).mode(AdminMode::Production)).await;
    let (mut admin, _) = ui(addr, json!({})).await;
    let config = admin_event_named(&mut admin, "config").await;
    assert_eq!(config[1]["supportedFeatures"].as_array().unwrap().len(), 8);
    let mut user = client(addr).await;
    send(&mut user, "40").await;
    next(&mut user).await;
    let id = io.sockets().sockets()[0].id().clone();

    send(&mut admin, r#"42/admin,["join","/","room1"]"#).await;
    send(
        &mut admin,
        r#"42/admin,["emit","/","room1","ping",1,{"a":2}]"#,
    )
    .await;
    assert_eq!(next(&mut user).await.unwrap(), r#"42["ping",1,{"a":2}]"#);
    send(&mut admin, r#"42/admin,["leave","/","room1"]"#).await;
    send(&mut admin, r#"42/admin,["emit","/","room1","lost"]"#).await;
    send(&mut admin, r#"42/admin,["emit","/",null,"all"]"#).await;
    assert_eq!(next(&mut user).await.unwrap(), r#"42["all"]"#);
    // A filter that is neither a room nor a list of rooms is ignored (not
    // taken for "every socket"); a list of rooms is a filter.
    send(&mut admin, r#"42/admin,["join","/","r2",7]"#).await;
    send(&mut admin, r#"42/admin,["emit","/",["r2","r3"],"in-r2"]"#).await;
    send(&mut admin, r#"42/admin,["emit","/",null,"all2"]"#).await;
    assert_eq!(next(&mut user).await.unwrap(), r#"42["all2"]"#);
    // Other servers' admin UIs learn each socket's connection from
    // `data._admin`, as Node's instrumentation keeps it.
    let fetched = io.fetch_sockets().await.unwrap();
    let user_data = fetched.iter().find(|s| s.id() == &id).unwrap().data_value();
    let client_id = user_data.get("_admin").and_then(|a| a.get("clientId"));
    assert_eq!(
        client_id.and_then(|c| c.as_str()).map(str::len),
        Some(12),
        "{user_data:?}"
    );
    // Malformed requests and unknown namespaces are ignored.
    send(&mut admin, r#"42/admin,["join",7]"#).await;
    send(&mut admin, r#"42/admin,["emit","/nowhere",null,"x"]"#).await;
    send(
        &mut admin,
        &format!(r#"42/admin,["_disconnect","/",false,"{id}"]"#),
    )
    .await;
    assert_eq!(next(&mut user).await.unwrap(), "41");
    assert!(io.of("/nowhere").sockets().is_empty());
}

#[tokio::test]
async fn a_readonly_ui_only_watches() {
    let (io, addr) = server(AdminUi::new(AdminAuth::None).readonly(true)).await;
    io.of("/admin").on_connection(|s: Socket| async move {
        s.on("probe", |ack: socketio_server::AckSender| async move {
            let _ = ack.send(());
        });
    });
    let (mut admin, _) = ui(addr, json!({})).await;
    let config = admin_event_named(&mut admin, "config").await;
    assert_eq!(
        config[1]["supportedFeatures"],
        json!(["AGGREGATED_EVENTS", "ALL_EVENTS"])
    );
    let mut user = client(addr).await;
    send(&mut user, "40").await;
    next(&mut user).await;
    send(&mut admin, r#"42/admin,["join","/","room1"]"#).await;
    // Packets of a session are handled in order: once the probe is
    // answered, the join was handled (and ignored).
    send(&mut admin, r#"42/admin,5["probe"]"#).await;
    loop {
        if next(&mut admin).await.unwrap() == "43/admin,5[]" {
            break;
        }
    }
    let rooms = io.sockets().sockets()[0].rooms();
    assert_eq!(rooms.len(), 1, "{rooms:?}");
}

#[test]
fn an_instrumented_server_is_freed_when_dropped() {
    let io = Server::builder().build();
    io.instrument(AdminUi::new(AdminAuth::None)).unwrap();
    let admin_adapter = std::sync::Arc::downgrade(io.of("/admin").adapter());
    drop(io);
    assert!(
        admin_adapter.upgrade().is_none(),
        "the admin namespace outlives its server"
    );
}

//! Our socket.io server, with the conformance example's handlers, against
//! the real npm clients: `socket.io-client` 4.x and 3.x (protocol v5, with
//! the JSON parser and with `socket.io-msgpack-parser`) and 2.x (protocol
//! v4 over engine.io v3), over polling, WebSocket and the upgrade, in `/`
//! and in `/custom`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use socketio_server::{Server, Socket};

async fn scenario(lib: &str, transports: &str, nsp: &str, parser: &str) {
    let name = format!("{lib} {transports} {nsp} {parser}");
    let builder = match parser {
        "msgpack" => Server::builder().parser(socketio_parser::MsgPackParser),
        _ => Server::builder(),
    };
    let io = builder
        .connect_timeout(Duration::from_millis(1000))
        .engine(|e| {
            e.allow_eio3(true)
                .ping_interval(Duration::from_millis(300))
                .ping_timeout(Duration::from_millis(200))
        })
        .build();
    for n in ["/", "/custom"] {
        io.of(n).on_connection(
            |socket: Socket| async move { examples::conformance_connection(socket) },
        );
    }
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let args = [lib, transports, &format!("http://{addr}"), nsp, parser].map(|a| a.to_string());
    let scenario = name.clone();
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client(&scenario, "sio_client.js", &args)
    })
    .await
    .unwrap();

    // socket.io 2.x has no auth payload: the server sees an empty object.
    let auth = |who: &str| match lib {
        "v2" => json!({}),
        _ => json!({ "token": who }),
    };
    assert_eq!(
        seen["a"],
        json!([
            ["auth", auth("a")],
            ["message-back", "hello", 1, {"nested": [true, null]}, {"binary": [1, 2, 3]}],
            ["ack", "x", {"binary": [9]}],
            ["message-back", "for all"],
        ]),
        "{name}"
    );
    assert_eq!(
        seen["b"],
        json!([
            ["auth", auth("b")],
            ["ack", "joined"],
            ["message-back", "for the room"],
            ["message-back", "for all"],
        ]),
        "{name}"
    );
    let invalid = seen["invalid"].as_str().unwrap();
    assert!(invalid.contains("Invalid namespace"), "{name}: {invalid}");
    io.close().await;
}

macro_rules! scenarios {
    ($($test:ident: $lib:literal, $transports:literal, $parser:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            scenario($lib, $transports, "/", $parser).await;
            scenario($lib, $transports, "/custom", $parser).await;
        }
    )*};
}

scenarios! {
    v4_polling: "v4", "polling", "json";
    v4_websocket: "v4", "websocket", "json";
    v4_upgrade: "v4", "polling,websocket", "json";
    v4_polling_msgpack: "v4", "polling", "msgpack";
    v4_websocket_msgpack: "v4", "websocket", "msgpack";
    v4_upgrade_msgpack: "v4", "polling,websocket", "msgpack";
    v3_polling: "v3", "polling", "json";
    v3_websocket: "v3", "websocket", "json";
    v3_upgrade: "v3", "polling,websocket", "json";
    v3_upgrade_msgpack: "v3", "polling,websocket", "msgpack";
    v2_polling: "v2", "polling", "json";
    v2_websocket: "v2", "websocket", "json";
    v2_upgrade: "v2", "polling,websocket", "json";
}

//! Our socket.io server against the real npm clients (`socket.io-client`
//! 4.x, 3.x and 2.x; JSON and msgpack), through what goes beyond plain
//! events: namespaces multiplexed over one connection, acks asked by the
//! server with binary both ways, a middleware refusing with data,
//! reconnection after the server drops the transport, and disconnect
//! reasons on both sides. The client side is `interop/sio_features.js`.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use socketio_server::{Args, Data, Error, Server, Socket, Value};

type Reasons = Arc<Mutex<Vec<(String, String)>>>;

fn server(parser: &str, reasons: &Reasons) -> Server {
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
    for nsp in ["/", "/custom"] {
        let reasons = reasons.clone();
        io.of(nsp).on_connection(move |socket: Socket| {
            let reasons = reasons.clone();
            async move {
                examples::conformance_connection(socket.clone());
                socket.on_disconnect(move |s: Socket, reason| {
                    let reasons = reasons.clone();
                    async move {
                        let entry = (s.namespace().name().to_owned(), reason.to_string());
                        reasons.lock().unwrap().push(entry);
                    }
                });
                socket.on("server-ack", |s: Socket| async move {
                    let answer = s
                        .timeout(Duration::from_secs(5))
                        .emit_with_ack::<Vec<Value>>(
                            "question",
                            ("why?", Bytes::from_static(&[5, 6])),
                        )
                        .await;
                    let _ = match answer {
                        Ok(args) => s.emit("answer-was", Args(args)),
                        Err(e) => s.emit("answer-was", e.to_string()),
                    };
                });
                socket.on("ping-me", |s: Socket, Data(id): Data<String>| async move {
                    let _ = s.namespace().to(id.as_str()).emit("pinged", id);
                });
                socket.on("kill-transport", |s: Socket| async move {
                    s.conn().close();
                });
                socket.on("disconnect-me", |s: Socket| async move {
                    s.disconnect(false);
                });
            }
        });
    }
    io.of("/guarded").middleware(|_socket: Socket| async move {
        Err(Error::refused("not authorized").with_data(json!({"reason": "bad token"})))
    });
    io
}

async fn scenario(lib: &str, transports: &str, parser: &str) {
    let name = format!("{lib} {transports} {parser}");
    let reasons = Reasons::default();
    let io = server(parser, &reasons);
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let args = [lib, transports, &format!("http://{addr}"), parser].map(|a| a.to_string());
    let scenario = name.clone();
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client(&scenario, "sio_features.js", &args)
    })
    .await
    .unwrap();

    assert_eq!(seen["multiplexed"], json!(true), "{name}: one connection");
    assert_eq!(
        seen["main"],
        json!([
            ["connect"],
            ["ack", "hi", {"binary": [1, 2]}],
            ["question", "why?", {"binary": [5, 6]}],
            ["answer-was", "answer", {"binary": [7]}],
            ["disconnect", "transport close"],
            ["connect"],
            ["disconnect", "io server disconnect"],
        ]),
        "{name}"
    );
    assert_eq!(
        seen["custom"],
        json!([
            ["connect"],
            ["message-back", "via custom"],
            ["disconnect", "transport close"],
            ["connect"],
            ["disconnect", "io client disconnect"],
        ]),
        "{name}"
    );
    let refusal = match lib {
        // socket.io 2.x hears only the data.
        "v2" => json!({"data": {"reason": "bad token"}}),
        _ => json!({"message": "not authorized", "data": {"reason": "bad token"}}),
    };
    assert_eq!(seen["guarded"], refusal, "{name}");
    // Each socket's id, as its client knows it, names its own room here.
    for nsp in ["main", "custom"] {
        assert!(seen["pinged"][nsp].is_string(), "{name}: {nsp} {seen}");
    }
    let unknown = match lib {
        // socket.io 2.x hears the object Node 4.8 sends it.
        "v2" => json!({"error": {"message": "Invalid namespace"}}),
        _ => json!({"message": "Invalid namespace"}),
    };
    assert_eq!(seen["unknown"], unknown, "{name}");

    // The server saw the same story: four sockets left (the last as the
    // client process ended).
    tokio::time::timeout(Duration::from_secs(5), async {
        while reasons.lock().unwrap().len() < 4 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{name}: {:?}", reasons.lock().unwrap()));
    let mut reasons = reasons.lock().unwrap().clone();
    reasons.sort();
    let pair = |n: &str, r: &str| (n.to_owned(), r.to_owned());
    assert_eq!(
        reasons,
        [
            pair("/", "forced close"),
            pair("/", "server namespace disconnect"),
            pair("/custom", "client namespace disconnect"),
            pair("/custom", "forced close"),
        ],
        "{name}"
    );
    io.close().await;
}

macro_rules! scenarios {
    ($($test:ident: $lib:literal, $transports:literal, $parser:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            scenario($lib, $transports, $parser).await;
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

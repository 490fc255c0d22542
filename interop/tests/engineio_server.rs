//! Our engine.io server against the real npm clients: `engine.io-client`
//! 6.x (protocol v4) and 3.x (protocol v3, what socket.io 2.x uses), each
//! over polling only, WebSocket only and the default upgrade path, with
//! text and binary both ways, at least three heartbeats, and a clean close
//! from either side.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use engineio_server::{CloseReason, Config, Connection, Handler, Message, Server, Socket};
use serde_json::{json, Value as Json};
use tokio::sync::mpsc;

/// Echoes every message, except the text "close me", which closes the
/// session; reports what it saw.
struct Echo(mpsc::UnboundedSender<Seen>);

#[derive(Debug, PartialEq)]
enum Seen {
    Message(Message),
    Close(CloseReason),
}

struct EchoConnection(Socket, mpsc::UnboundedSender<Seen>);

impl Handler for Echo {
    type Connection = EchoConnection;
    fn on_connect(&self, socket: Socket) -> EchoConnection {
        EchoConnection(socket, self.0.clone())
    }
}

impl Connection for EchoConnection {
    fn on_message(&mut self, message: Message) {
        if matches!(&message, Message::Text(t) if &**t == "close me") {
            self.0.close();
        } else {
            let _ = self.0.send(message.clone());
        }
        let _ = self.1.send(Seen::Message(message));
    }
    fn on_close(&mut self, reason: CloseReason) {
        let _ = self.1.send(Seen::Close(reason));
    }
}

async fn scenario(lib: &str, transports: &str, closer: &str) {
    let name = format!("{lib} {transports} closed by {closer}");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let config = Config::default()
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_millis(200))
        .allow_eio3(true);
    let server = Server::new(config, Echo(tx));
    let addr = server.listen("127.0.0.1:0").await.unwrap();
    let args = [lib, transports, &format!("http://{addr}"), closer].map(|a| a.to_string());
    let scenario = name.clone();
    let seen = tokio::task::spawn_blocking(move || {
        interop::run_node_client(&scenario, "eio_client.js", &args)
    })
    .await
    .unwrap();

    // What the client saw.
    let first = transports.split(',').next().unwrap();
    assert_eq!(seen["open"], first, "{name}");
    if transports.contains(',') {
        assert_eq!(seen["upgrade"], "websocket", "{name}");
    } else {
        assert_eq!(seen["upgrade"], Json::Null, "{name}");
    }
    let messages = seen["messages"].as_array().unwrap();
    assert_eq!(messages[0], json!({"text": "hello"}), "{name}");
    assert_eq!(messages[1], json!({"binary": [1, 2, 3]}), "{name}");
    assert!(seen["heartbeats"].as_u64().unwrap() >= 3, "{name}: {seen}");
    let client_reason = match closer {
        "client" => "forced close",
        _ => "transport close",
    };
    assert_eq!(seen["close"], client_reason, "{name}: {seen}");
    assert_eq!(seen["errors"], json!([]), "{name}");

    // What the server saw.
    let mut events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        let done = matches!(e, Seen::Close(_));
        events.push(e);
        if done {
            break;
        }
    }
    assert_eq!(
        events[0],
        Seen::Message(Message::Text("hello".into())),
        "{name}"
    );
    assert_eq!(
        events[1],
        Seen::Message(Message::Binary(vec![1, 2, 3].into())),
        "{name}"
    );
    let server_reason = match closer {
        "client" => CloseReason::TransportClose,
        _ => CloseReason::ForcedClose,
    };
    assert_eq!(
        events.last(),
        Some(&Seen::Close(server_reason)),
        "{name}: {events:?}"
    );
    server.close().await;
}

macro_rules! scenarios {
    ($($test:ident: $lib:literal, $transports:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            scenario($lib, $transports, "client").await;
            scenario($lib, $transports, "server").await;
        }
    )*};
}

scenarios! {
    v6_polling: "v6", "polling";
    v6_websocket: "v6", "websocket";
    v6_upgrade: "v6", "polling,websocket";
    v3_polling: "v3", "polling";
    v3_websocket: "v3", "websocket";
    v3_upgrade: "v3", "polling,websocket";
}

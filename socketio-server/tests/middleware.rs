//! Namespace middleware (refusals in each protocol's CONNECT_ERROR shape,
//! order) and per-socket packet middleware.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use serde_json::json;
use socketio_server::{Data, Error, Server, Socket, Value};
use support::{channel, client, client_eio, next, recv, send};

mod support;

fn token(socket: &Socket) -> Option<String> {
    match socket.handshake().auth.get("token") {
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    }
}

/// `/` refuses a client without the token "ok", after a first middleware
/// that waits a little; both record that they ran.
async fn guarded() -> (Server, std::net::SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let io = Server::builder().build();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let ns = io.of("/");
    let r = ran.clone();
    ns.middleware(move |_socket: Socket| {
        let r = r.clone();
        async move {
            // Pending once: the middleware truly awaits.
            tokio::task::yield_now().await;
            r.lock().unwrap().push(1);
            Ok(())
        }
    });
    let r = ran.clone();
    ns.middleware(move |socket: Socket| {
        let r = r.clone();
        async move {
            r.lock().unwrap().push(2);
            match token(&socket).as_deref() {
                Some("ok") => {
                    socket.set_data(String::from("checked"));
                    Ok(())
                }
                Some(_) => Err(Error::refused("not authorized").with_data(json!({"code": 42}))),
                None => Err(Error::refused("no token")),
            }
        }
    });
    let r = ran.clone();
    ns.middleware(move |_socket: Socket| {
        let r = r.clone();
        async move {
            r.lock().unwrap().push(3);
            Ok(())
        }
    });
    ns.on_connection(|socket: Socket| async move {
        let data = socket.data::<String>();
        let _ = socket.emit("data", (data,));
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, ran)
}

#[tokio::test]
async fn namespace_middlewares_run_in_order_and_refuse_with_message_and_data() {
    let (_io, addr, ran) = guarded().await;
    let mut ws = client(addr).await;

    send(&mut ws, r#"40{"token":"bad"}"#).await;
    assert_eq!(
        next(&mut ws).await.unwrap(),
        r#"44{"message":"not authorized","data":{"code":42}}"#
    );
    assert_eq!(
        *ran.lock().unwrap(),
        [1, 2],
        "the first refusal stops the chain"
    );

    send(&mut ws, "40").await;
    assert_eq!(next(&mut ws).await.unwrap(), r#"44{"message":"no token"}"#);

    // The connection is still open: the client may try again.
    ran.lock().unwrap().clear();
    send(&mut ws, r#"40{"token":"ok"}"#).await;
    assert!(next(&mut ws).await.unwrap().starts_with(r#"40{"sid":"#));
    assert_eq!(*ran.lock().unwrap(), [1, 2, 3]);
    // What a middleware stored is there in the connection handler.
    assert_eq!(next(&mut ws).await.unwrap(), r#"42["data","checked"]"#);
}

#[tokio::test]
async fn a_refusal_reaches_socket_io_2_clients_as_its_data_or_message() {
    let io = Server::builder().engine(|e| e.allow_eio3(true)).build();
    io.of("/admin").middleware(|_socket: Socket| async move {
        Err(Error::refused("not authorized").with_data(json!({"code": 42})))
    });
    io.of("/private")
        .middleware(|_socket: Socket| async move { Err(Error::refused("no token")) });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client_eio(addr, 3).await;
    // socket.io 2.x clients are in `/` at once.
    assert_eq!(next(&mut ws).await.unwrap(), "40");
    send(&mut ws, "40/private").await;
    assert_eq!(next(&mut ws).await.unwrap(), r#"44/private,"no token""#);
    send(&mut ws, "40/admin").await;
    assert_eq!(next(&mut ws).await.unwrap(), r#"44/admin,{"code":42}"#);
}

#[tokio::test]
async fn packet_middleware_changes_or_refuses_packets_and_reports_errors() {
    let io = Server::builder().build();
    let (events, mut seen) = channel();
    io.of("/").on_connection(move |socket: Socket| {
        let events = events.clone();
        async move {
            socket.middleware(|_socket: Socket, mut packet: Vec<Value>| async move {
                if packet.first() == Some(&Value::from("forbidden")) {
                    return Err(Error::refused("forbidden event"));
                }
                if let Some(Value::String(arg)) = packet.get_mut(1) {
                    *arg = arg.to_uppercase();
                }
                Ok(packet)
            });
            socket.middleware(|_socket: Socket, mut packet: Vec<Value>| async move {
                // Runs after the first one: sees its change.
                packet.push(Value::from("second"));
                Ok(packet)
            });
            let e = events.clone();
            socket.on("say", move |Data(args): Data<Vec<Value>>| {
                let e = e.clone();
                async move {
                    let _ = e.send(format!("say {args:?}"));
                }
            });
            let e = events.clone();
            socket.on("forbidden", move || {
                let e = e.clone();
                async move {
                    let _ = e.send("forbidden ran".to_owned());
                }
            });
            let e = events.clone();
            socket.on_error(move |_s: Socket, error: Error| {
                let e = e.clone();
                async move {
                    let _ = e.send(format!("error {error}"));
                }
            });
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, "40").await;
    next(&mut ws).await;
    send(&mut ws, r#"42["forbidden","x"]"#).await;
    send(&mut ws, r#"42["say","hello"]"#).await;
    assert_eq!(recv(&mut seen).await, "error forbidden event");
    assert_eq!(
        recv(&mut seen).await,
        r#"say [String("HELLO"), String("second")]"#
    );
}

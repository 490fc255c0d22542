//! Connection state recovery: the client that comes back in time gets its
//! id, rooms, data and every missed packet once, in order; again after a
//! second and third loss; and not after the session expired.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketio_server::{Recovery, Server, Socket, SocketId};
use support::{channel, client, next, recv, send, Ws};
use tokio::sync::mpsc;

mod support;

/// A server with recovery: each new (not recovered) socket joins "room"
/// and gets data; each socket is handed to the channel.
async fn start(
    recovery: Recovery,
) -> (
    Server,
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Socket>,
) {
    let io = Server::builder()
        .connection_state_recovery(recovery)
        .build();
    let (tx, rx) = channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            if !socket.recovered() {
                socket.join(["room"]);
                socket.set_data(vec![String::from("state")]);
            }
            let _ = tx.send(socket);
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    (io, addr, rx)
}

/// The CONNECT answer's sid and pid.
fn ids(connect: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(connect.strip_prefix("40").unwrap()).unwrap();
    (
        v["sid"].as_str().unwrap().to_owned(),
        v["pid"].as_str().unwrap().to_owned(),
    )
}

/// An event's arguments, the offset (last) apart.
fn event(text: &str) -> (serde_json::Value, String) {
    let mut v: serde_json::Value = serde_json::from_str(text.strip_prefix("42").unwrap()).unwrap();
    let offset = v.as_array_mut().unwrap().pop().unwrap();
    (v, offset.as_str().unwrap().to_owned())
}

async fn open(addr: std::net::SocketAddr, auth: &str) -> (Ws, String) {
    let mut ws = client(addr).await;
    send(&mut ws, &format!("40{auth}")).await;
    let connect = next(&mut ws).await.unwrap();
    (ws, connect)
}

#[tokio::test]
async fn a_client_that_comes_back_in_time_gets_its_session_and_missed_packets() {
    let (io, addr, mut sockets) = start(Recovery::default()).await;
    let (mut ws, connect) = open(addr, "").await;
    let (sid, pid) = ids(&connect);
    let socket = recv(&mut sockets).await;
    assert!(!socket.recovered());
    assert_eq!(socket.id().as_str(), sid);

    socket.emit("hello", ("you",)).unwrap();
    let (args, _) = event(&next(&mut ws).await.unwrap());
    assert_eq!(args, serde_json::json!(["hello", "you"]));
    // An emit with flags is kept for recovery too: it has an offset.
    socket.compress(false).emit("again", ()).unwrap();
    let (args, mut offset) = event(&next(&mut ws).await.unwrap());
    assert_eq!(args, serde_json::json!(["again"]));

    // Three losses in a row, each with packets sent meanwhile.
    let mut current = socket.clone();
    for round in 1..=3 {
        let mut left = support::reasons(&current);
        drop(ws);
        left.recv().await.unwrap();
        assert!(!current.connected());
        io.to("room").emit("missed", (round, "room")).unwrap();
        io.emit("missed", (round, "all")).unwrap();
        io.to("elsewhere").emit("not-yours", ()).unwrap();
        io.except("room").emit("not-yours", ()).unwrap();
        io.volatile().emit("not-kept", ()).unwrap();

        let (back, connect) =
            open(addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
        ws = back;
        assert_eq!(ids(&connect), (sid.clone(), pid.clone()), "round {round}");
        let recovered = recv(&mut sockets).await;
        current = recovered.clone();
        assert!(recovered.recovered());
        assert_eq!(recovered.id().as_str(), sid);
        assert!(recovered.rooms().contains("room"));
        assert_eq!(
            recovered.data::<Vec<String>>(),
            Some(vec!["state".to_owned()])
        );

        let (first, _) = event(&next(&mut ws).await.unwrap());
        assert_eq!(first, serde_json::json!(["missed", round, "room"]));
        let (second, _) = event(&next(&mut ws).await.unwrap());
        assert_eq!(second, serde_json::json!(["missed", round, "all"]));
        // Nothing else was replayed: the next packet is a new one.
        recovered.emit("live", ()).unwrap();
        let (live, newest) = event(&next(&mut ws).await.unwrap());
        assert_eq!(live, serde_json::json!(["live"]));
        offset = newest;
    }
}

// On a paused clock: the in-memory adapter decides expiry on tokio's clock,
// as the server's expiry timer does.
#[tokio::test(start_paused = true)]
async fn an_expired_session_is_not_recovered_and_the_hook_hears_of_it() {
    let expired: Arc<Mutex<Vec<(String, SocketId)>>> = Arc::default();
    let seen = expired.clone();
    let told = Arc::new(tokio::sync::Notify::new());
    let tell = told.clone();
    let recovery = Recovery::default()
        .max_disconnection_duration(Duration::from_millis(200))
        .on_expired(move |nsp, id| {
            seen.lock().unwrap().push((nsp.to_owned(), id.clone()));
            tell.notify_one();
        });
    let (_io, addr, mut sockets) = start(recovery).await;
    let (mut ws, connect) = open(addr, "").await;
    let (sid, pid) = ids(&connect);
    let socket = recv(&mut sockets).await;
    socket.emit("hello", ()).unwrap();
    let (_, offset) = event(&next(&mut ws).await.unwrap());
    drop(ws);

    // The expiry (after 200 ms) is told to the callback.
    told.notified().await;
    assert_eq!(
        *expired.lock().unwrap(),
        [("/".to_owned(), SocketId::from(sid.as_str()))]
    );
    let (_ws, connect) = open(addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    let (new_sid, new_pid) = ids(&connect);
    assert_ne!(new_sid, sid);
    assert_ne!(new_pid, pid);
    assert!(!recv(&mut sockets).await.recovered());
}

#[tokio::test]
async fn middlewares_are_skipped_on_recovery_unless_asked_and_acks_are_not_replayed() {
    for skip in [true, false] {
        let io = Server::builder()
            .connection_state_recovery(Recovery::default().skip_middlewares(skip))
            .build();
        let runs = Arc::new(Mutex::new(0));
        let counted = runs.clone();
        io.of("/").middleware(move |_s: Socket| {
            let counted = counted.clone();
            async move {
                *counted.lock().unwrap() += 1;
                Ok(())
            }
        });
        let (tx, mut sockets) = channel();
        io.of("/").on_connection(move |socket: Socket| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(socket);
            }
        });
        let addr = io.listen("127.0.0.1:0").await.unwrap();
        let (mut ws, connect) = open(addr, "").await;
        let (_, pid) = ids(&connect);
        let socket = recv(&mut sockets).await;
        socket.emit("e", ()).unwrap();
        let (_, offset) = event(&next(&mut ws).await.unwrap());
        let mut left = support::reasons(&socket);
        drop(ws);
        left.recv().await.unwrap();
        // Asks for an ack: not kept, so not replayed.
        let asking = socket.clone();
        let _ = asking
            .timeout(Duration::from_millis(10))
            .emit_with_ack::<Vec<serde_json::Value>>("ask", ())
            .await;
        io.emit("kept", ()).unwrap();

        let (mut ws, _) = open(addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
        assert!(recv(&mut sockets).await.recovered());
        let (kept, _) = event(&next(&mut ws).await.unwrap());
        assert_eq!(kept, serde_json::json!(["kept"]));
        assert_eq!(
            *runs.lock().unwrap(),
            if skip { 1 } else { 2 },
            "skip {skip}"
        );
    }
}

#[tokio::test]
async fn a_client_closed_for_an_invalid_packet_is_recovered() {
    let (io, addr, mut sockets) = start(Recovery::default()).await;
    let (mut ws, connect) = open(addr, "").await;
    let (sid, pid) = ids(&connect);
    let socket = recv(&mut sockets).await;
    socket.emit("hello", ()).unwrap();
    let (_, offset) = event(&next(&mut ws).await.unwrap());
    // Not a socket.io packet: the server closes the connection.
    send(&mut ws, "4abc").await;
    assert_eq!(next(&mut ws).await.as_deref(), Some("1"));
    assert!(!socket.connected());
    io.emit("missed", ()).unwrap();

    let (mut ws, connect) = open(addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    assert_eq!(ids(&connect), (sid, pid));
    assert!(recv(&mut sockets).await.recovered());
    let (missed, _) = event(&next(&mut ws).await.unwrap());
    assert_eq!(missed, serde_json::json!(["missed"]));
}

#[tokio::test]
async fn a_broadcast_between_the_restore_and_the_rejoin_is_not_lost() {
    // Middlewares run between the two here (they are not skipped), and
    // this one broadcasts to the room of the socket coming back.
    let io = Server::builder()
        .connection_state_recovery(Recovery::default().skip_middlewares(false))
        .build();
    let server = io.clone();
    io.of("/").middleware(move |s: Socket| {
        let server = server.clone();
        async move {
            if s.recovered() {
                server.to("room").emit("during", ()).unwrap();
            }
            Ok(())
        }
    });
    let (tx, mut sockets) = channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            socket.join(["room"]);
            let _ = tx.send(socket);
        }
    });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let (mut ws, connect) = open(addr, "").await;
    let (_, pid) = ids(&connect);
    let socket = recv(&mut sockets).await;
    socket.emit("hello", ()).unwrap();
    let (_, offset) = event(&next(&mut ws).await.unwrap());
    let mut left = support::reasons(&socket);
    drop(ws);
    left.recv().await.unwrap();
    io.to("room").emit("away", ()).unwrap();

    let (mut ws, _) = open(addr, &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)).await;
    assert!(recv(&mut sockets).await.recovered());
    let (away, _) = event(&next(&mut ws).await.unwrap());
    assert_eq!(away, serde_json::json!(["away"]));
    let (during, _) = event(&next(&mut ws).await.unwrap());
    assert_eq!(during, serde_json::json!(["during"]));
    // Once, then what comes next.
    io.emit("after", ()).unwrap();
    let (after, _) = event(&next(&mut ws).await.unwrap());
    assert_eq!(after, serde_json::json!(["after"]));
}

//! The tracing spans the server opens. Alone in its test binary: tracing
//! caches per call site whether anyone listens, and a test running beside
//! it without a subscriber would make that answer "no".
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use socketio_server::{Error, Server, Socket};
use support::{channel, client, next, recv, send};
use tracing_subscriber::layer::SubscriberExt;

mod support;

/// Records the names of the spans opened.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push(attrs.metadata().name().to_owned());
    }
}

#[tokio::test]
async fn connect_join_refusal_and_disconnect_open_spans() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry()
        .with(spans.clone())
        .with(tracing_subscriber::filter::LevelFilter::DEBUG);
    // This test runs on one thread: every task the server spawns logs here.
    let _guard = tracing::subscriber::set_default(subscriber);

    let io = Server::builder().build();
    let (tx, mut gone) = channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_s, reason| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(reason);
                }
            });
        }
    });
    io.of("/private")
        .middleware(|_s: Socket| async move { Err(Error::refused("no")) });
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    let mut ws = client(addr).await;
    send(&mut ws, "40/private,").await;
    assert!(next(&mut ws).await.unwrap().starts_with("44/private,"));
    send(&mut ws, "40").await;
    next(&mut ws).await;
    send(&mut ws, "41").await;
    recv(&mut gone).await;

    let names = spans.0.lock().unwrap().clone();
    for name in [
        "socketio.connect",
        "socketio.join",
        "socketio.refuse",
        "socketio.disconnect",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
}

/// Counts the WARN events whose message is "handler not called".
#[derive(Clone, Default)]
struct Refusals(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Refusals {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Fields(String, bool);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.1 = format!("{value:?}") == "handler not called",
                    "event" => self.0 = format!("{value:?}"),
                    _ => {}
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "event" {
                    self.0 = value.to_owned();
                }
            }
        }
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        let mut fields = Fields(String::new(), false);
        event.record(&mut fields);
        if fields.1 {
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

#[tokio::test]
async fn a_handler_left_uncalled_is_logged_at_warn_once_per_socket_and_event() {
    let refusals = Refusals::default();
    let subscriber = tracing_subscriber::registry()
        .with(refusals.clone())
        .with(tracing_subscriber::filter::LevelFilter::WARN);
    let _guard = tracing::subscriber::set_default(subscriber);

    let (_io, addr, mut sockets) = support::start().await;
    let (mut ws, socket) = support::joined(addr, &mut sockets).await;
    let (tx, mut errors) = channel();
    socket.on(
        "n",
        |socketio_server::Data(_): socketio_server::Data<u8>| async {},
    );
    socket.on(
        "s",
        |socketio_server::Data(_): socketio_server::Data<String>| async {},
    );
    socket.on_error(move |_s: Socket, e: Error| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(e);
        }
    });
    for packet in [
        r#"42["n","x"]"#,
        r#"42["n","y"]"#,
        r#"42["s",1]"#,
        r#"42["n",true]"#,
    ] {
        send(&mut ws, packet).await;
        // Every mismatch reaches the error handlers...
        assert!(matches!(recv(&mut errors).await, Error::InvalidData { .. }));
    }
    // ... and the log hears of each event once.
    assert_eq!(*refusals.0.lock().unwrap(), ["n", "s"]);
}

/// The messages of the events logged, in order.
#[derive(Clone, Default)]
struct Messages(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Messages {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0.lock().unwrap().push(message.0);
    }
}

#[tokio::test]
async fn at_trace_a_connections_life_is_logged_step_by_step() {
    let messages = Messages::default();
    let subscriber = tracing_subscriber::registry()
        .with(messages.clone())
        .with(tracing_subscriber::filter::LevelFilter::TRACE);
    let _guard = tracing::subscriber::set_default(subscriber);

    let (io, addr, mut sockets) = support::start().await;
    let (mut ws, socket) = support::joined(addr, &mut sockets).await;
    socket.on(
        "hi",
        |s: Socket, ack: socketio_server::AckSender| async move {
            s.join(["lobby"]);
            let _ = ack.send("hello");
            let _ = s.emit("welcome", ());
            s.leave("lobby");
        },
    );
    send(&mut ws, r#"421["hi"]"#).await;
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"431["hello"]"#));
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["welcome"]"#));
    io.emit("news", ()).unwrap();
    assert_eq!(next(&mut ws).await.as_deref(), Some(r#"42["news"]"#));
    let (tx, mut gone) = channel();
    socket.on_disconnect(move |_s, _reason| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(());
        }
    });
    send(&mut ws, "41").await;
    recv(&mut gone).await;

    let logged = messages.0.lock().unwrap().clone();
    let mut at = 0;
    for step in [
        "socket connected",
        "packet in",
        "event in",
        "join",
        "ack out",
        "event out",
        "leave",
        "broadcast out",
        "socket disconnected",
    ] {
        match logged[at..].iter().position(|m| m == step) {
            Some(i) => at += i + 1,
            None => panic!(
                "{step:?} after {:?} in {logged:?}",
                logged.get(at.saturating_sub(1))
            ),
        }
    }
}

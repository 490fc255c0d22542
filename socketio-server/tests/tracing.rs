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

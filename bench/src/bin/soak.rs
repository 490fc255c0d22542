//! The soak: many connected clients, a broadcast every 100 ms for minutes,
//! the server's RSS sampled every 5 s (it must stay flat), and every client
//! checking that it gets every broadcast once and in order; then a
//! reconnection storm (a share of the clients dropped at once and all
//! reconnecting at the same moment), counting errors. Not run in CI.
//!
//! ```sh
//! cargo build --release -p bench --bins -p examples --example bench_server
//! target/release/soak --server target/release/examples/bench_server \
//!     --clients 15000 --seconds 300 --storm 10000
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::client::{self, next_text};
use bench::process::Server;
use bench::scenario::connect_all;
use bench::{fail, Probe, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

struct Options {
    server: String,
    clients: usize,
    seconds: u64,
    storm: usize,
}

fn options() -> Result<Options> {
    let mut options = Options {
        server: "target/release/examples/bench_server".to_owned(),
        clients: 15_000,
        seconds: 300,
        storm: 10_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return fail(format!("{flag} needs a value"));
        };
        match flag.as_str() {
            "--server" => options.server = value,
            "--clients" => options.clients = value.parse()?,
            "--seconds" => options.seconds = value.parse()?,
            "--storm" => options.storm = value.parse()?,
            _ => return fail(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

/// What one client saw: broadcasts received, and those out of order.
#[derive(Default)]
struct Seen {
    received: AtomicU64,
    out_of_order: AtomicU64,
}

/// Reads broadcasts `42["broadcast",<seq>]` until the connection is
/// dropped, answering pings; a duplicate fails the run. Says on `done` when
/// the broadcast numbered `last` has come.
async fn receive(
    mut ws: client::Ws,
    seen: Arc<Seen>,
    last: u64,
    done: mpsc::UnboundedSender<()>,
) -> Result<()> {
    let mut next = 0u64;
    loop {
        let text = next_text(&mut ws).await?;
        let seq: u64 = text
            .strip_prefix("42[\"broadcast\",")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
            .map_or_else(|| fail(format!("not a broadcast: {text:?}")), Ok)?;
        if seq < next {
            return fail(format!("broadcast {seq} again (or late) after {next}"));
        }
        if seq > next {
            seen.out_of_order.fetch_add(1, Ordering::Relaxed);
        }
        next = seq + 1;
        seen.received.fetch_add(1, Ordering::Relaxed);
        if seq == last {
            let _ = done.send(());
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    let mut server = Server::start(&options.server, &[]).await?;
    let probe = Probe::of(server.pid);
    let addr = server.addr;
    let started = Instant::now();
    let sockets = connect_all(&[addr], options.clients).await?;
    println!(
        "{} clients connected in {:.1} s; server RSS {} MiB",
        options.clients,
        started.elapsed().as_secs_f64(),
        probe.rss_kib()? / 1024
    );
    let broadcasts = options.seconds * 10;
    let seen: Vec<Arc<Seen>> = (0..options.clients).map(|_| Arc::default()).collect();
    let (done, mut finished) = mpsc::unbounded_channel();
    let mut readers = Vec::with_capacity(options.clients);
    for (ws, seen) in sockets.into_iter().zip(&seen) {
        let last = broadcasts.saturating_sub(1);
        readers.push(tokio::spawn(receive(ws, seen.clone(), last, done.clone())));
    }

    // The sender: one more client, a broadcast every 100 ms; it reads (and
    // drops) its own copies and answers pings.
    let (mut sink, mut stream) = client::connect(addr, None).await?.split();
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut samples = tokio::time::interval(Duration::from_secs(5));
    let mut rss = Vec::new();
    let soak = Instant::now();
    let mut sent = 0;
    while sent < broadcasts {
        tokio::select! {
            _ = ticks.tick() => {
                sink.send(Message::text(format!("42[\"broadcast\",{sent}]"))).await?;
                sent += 1;
            }
            _ = samples.tick() => rss.push((soak.elapsed().as_secs(), probe.rss_kib()? / 1024)),
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                    sink.send(Message::text("3")).await?;
                }
                Some(Ok(_)) => {}
                other => return fail(format!("the sender's connection ended: {other:?}")),
            },
        }
    }
    // Every client must get every broadcast: wait until each has the last
    // one (30 s at most; a client that never does counts its losses).
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        for _ in 0..options.clients {
            finished.recv().await;
        }
    })
    .await;
    let total: u64 = seen
        .iter()
        .map(|s| s.received.load(Ordering::Relaxed))
        .sum();
    let expected = broadcasts * options.clients as u64;
    let lost = expected - total.min(expected);
    let out_of_order: u64 = seen
        .iter()
        .map(|s| s.out_of_order.load(Ordering::Relaxed))
        .sum();
    let failed = readers.iter().filter(|r| r.is_finished()).count();
    println!("\n| after | server RSS (MiB) |\n|---|---|");
    for (t, mib) in &rss {
        println!("| {t} s | {mib} |");
    }
    println!(
        "\n{broadcasts} broadcasts x {} clients = {expected} deliveries: {lost} lost, \
         {out_of_order} out of order, {failed} clients failed",
        options.clients
    );

    // The storm: drop `storm` clients at once (no close frame), then all
    // of them reconnect at the same moment.
    let storm = options.storm.min(readers.len());
    for reader in readers.drain(..storm) {
        reader.abort();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let mut reconnecting = tokio::task::JoinSet::new();
    for _ in 0..storm {
        reconnecting.spawn(async move { client::connect(addr, None).await });
    }
    let (mut back, mut errors) = (Vec::with_capacity(storm), Vec::new());
    while let Some(done) = reconnecting.join_next().await {
        match done? {
            Ok(ws) => back.push(ws),
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!(
        "storm: {storm} clients dropped and reconnecting at once: {} back in {:.1} s, {} errors{}; server RSS {} MiB",
        back.len(),
        started.elapsed().as_secs_f64(),
        errors.len(),
        errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default(),
        probe.rss_kib()? / 1024
    );
    server.stop().await;
    if lost > 0 || out_of_order > 0 || failed > 0 || !errors.is_empty() {
        return fail("the soak saw losses, disorder or errors");
    }
    Ok(())
}

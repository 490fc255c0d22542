//! The hostile-client harness: each attack runs against a fresh server
//! process while a well-behaved client echoes every 50 ms and the server's
//! resident memory is sampled every 20 ms. One line per attack and server:
//! what became of the attacker, the bystander's worst echo and missed
//! echoes, the server's RSS before, at its peak and after, and whether it
//! is still up.
//!
//! ```sh
//! cargo build --release -p bench --bins -p examples --example bench_server
//! target/release/hostile --server ours=target/release/examples/bench_server \
//!     --server "node=node bench/node/server.js"
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bench::client::{connect, next_text, tcp, Polling, Ws};
use bench::process::Server;
use bench::{fail, Probe, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// What one attack did to one server.
struct Outcome {
    attacker: String,
    worst_echo: Duration,
    missed: u32,
    rss_mib: (f64, f64, f64),
    alive: bool,
}

/// Reads `ws` until the server closes it, at most `limit`: "closed" or
/// "still open".
async fn closed_within(ws: &mut Ws, limit: Duration) -> String {
    let until = tokio::time::timeout(limit, async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(_) = message {
                return;
            }
        }
    });
    match until.await {
        Ok(()) => "closed".to_owned(),
        Err(_) => "still open".to_owned(),
    }
}

/// Sends one message, then tells whether the server closes the connection.
async fn one_message(addr: SocketAddr, messages: Vec<Message>) -> Result<String> {
    let mut ws = connect(addr, None).await?;
    for message in messages {
        if ws.send(message).await.is_err() {
            return Ok("closed".to_owned());
        }
    }
    Ok(closed_within(&mut ws, Duration::from_secs(5)).await)
}

/// Sends `42["broadcast", <100 KiB>]` 1 024 times (100 MiB to every
/// client), each once the previous one came back.
async fn broadcast_100_mib(addr: SocketAddr) -> Result<()> {
    let mut ws = connect(addr, None).await?;
    let packet = format!(r#"42["broadcast","{}"]"#, "x".repeat(100 * 1024));
    for _ in 0..1024 {
        ws.send(Message::text(packet.as_str())).await?;
        while !next_text(&mut ws).await?.starts_with(r#"42["broadcast""#) {}
    }
    Ok(())
}

/// The attacks, by name.
fn attack(
    name: &str,
    addr: SocketAddr,
) -> std::pin::Pin<Box<dyn Future<Output = Result<String>> + Send>> {
    let name = name.to_owned();
    Box::pin(async move {
        let big = "x".repeat(2 << 20);
        match name.as_str() {
            "oversized text (2 MiB, ws)" => {
                one_message(addr, vec![Message::text(format!(r#"42["echo","{big}"]"#))]).await
            }
            "oversized binary (2 MiB, ws)" => {
                let header = r#"451-["echo",{"_placeholder":true,"num":0}]"#;
                one_message(
                    addr,
                    vec![Message::text(header), Message::binary(big.into_bytes())],
                )
                .await
            }
            "1 000 000 attachments announced" => {
                one_message(addr, vec![Message::text(r#"451000000-["echo"]"#)]).await
            }
            "100 000 nested arrays" => {
                let nested = format!(
                    r#"42["echo",{}{}]"#,
                    "[".repeat(100_000),
                    "]".repeat(100_000)
                );
                one_message(addr, vec![Message::text(nested)]).await
            }
            "1 MiB namespace name" => {
                one_message(
                    addr,
                    vec![Message::text(format!("40/{},", "n".repeat(1 << 20)))],
                )
                .await
            }
            "10 000 namespaces asked for" => {
                let asks = (0..10_000)
                    .map(|i| Message::text(format!("40/ns{i},")))
                    .collect();
                one_message(addr, asks).await
            }
            "ack ids that overflow" => {
                one_message(
                    addr,
                    vec![Message::text(r#"4399999999999999999999999["x"]"#)],
                )
                .await
            }
            "attachments never sent, 200 connections" => {
                let mut held = Vec::new();
                for _ in 0..200 {
                    let mut ws = connect(addr, None).await?;
                    ws.send(Message::text(
                        r#"451-["echo",{"_placeholder":true,"num":0}]"#,
                    ))
                    .await?;
                    held.push(ws);
                }
                // Holding them a while: what does waiting cost?
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok("held 3 s, then dropped".to_owned())
            }
            "ws reader stops, 100 MiB broadcast" => {
                let mut stalled = connect(addr, None).await?;
                broadcast_100_mib(addr).await?;
                Ok(
                    match closed_within(&mut stalled, Duration::from_secs(60))
                        .await
                        .as_str()
                    {
                        "closed" => "stalled reader disconnected".to_owned(),
                        _ => "stalled reader kept".to_owned(),
                    },
                )
            }
            "polling GET stops, 100 MiB broadcast" => {
                let mut stalled = Polling::connect(addr).await?;
                broadcast_100_mib(addr).await?;
                Ok(
                    match tokio::time::timeout(Duration::from_secs(10), stalled.receive()).await {
                        Ok(Ok(_)) => "stalled poller kept".to_owned(),
                        _ => "stalled poller disconnected".to_owned(),
                    },
                )
            }
            "5 000 handshakes never continued" => {
                for _ in 0..5_000 {
                    let mut stream = tcp(addr, None).await?;
                    let get = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                    stream.write_all(get.as_bytes()).await?;
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer).await?;
                }
                Ok("5 000 sessions opened".to_owned())
            }
            "2 000 websockets dropped without a close" => {
                for _ in 0..2_000 {
                    let stream = tcp(addr, None).await?;
                    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
                    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await?;
                    next_text(&mut ws).await?;
                    drop(ws);
                }
                Ok("dropped".to_owned())
            }
            other => fail(format!("no attack {other}")),
        }
    })
}

const ATTACKS: [&str; 12] = [
    "oversized text (2 MiB, ws)",
    "oversized binary (2 MiB, ws)",
    "1 000 000 attachments announced",
    "100 000 nested arrays",
    "1 MiB namespace name",
    "10 000 namespaces asked for",
    "ack ids that overflow",
    "attachments never sent, 200 connections",
    "ws reader stops, 100 MiB broadcast",
    "polling GET stops, 100 MiB broadcast",
    "5 000 handshakes never continued",
    "2 000 websockets dropped without a close",
];

/// Echoes every 50 ms until told to stop: the worst round trip and the
/// echoes that did not come within 2 s.
async fn bystander(addr: SocketAddr, mut stop: watch::Receiver<bool>) -> Result<(Duration, u32)> {
    let mut ws = connect(addr, None).await?;
    let (mut worst, mut missed) = (Duration::ZERO, 0);
    let mut ticks = tokio::time::interval(Duration::from_millis(50));
    for i in 0u64.. {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ticks.tick() => {}
        }
        let sent = Instant::now();
        let expected = format!(r#"42["echo",{i}]"#);
        ws.send(Message::text(expected.as_str())).await?;
        let answer = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                if next_text(&mut ws).await? == expected.as_str() {
                    return Ok::<_, bench::Error>(());
                }
            }
        });
        match answer.await {
            Ok(Ok(())) => worst = worst.max(sent.elapsed()),
            Ok(Err(e)) => return Err(e),
            Err(_) => missed += 1,
        }
    }
    Ok((worst, missed))
}

async fn run(command: &str, name: &str) -> Result<Outcome> {
    let server = Server::start(command, &[]).await?;
    let probe = Probe::of(server.pid);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let before = probe.rss_kib()?;
    let (stop, stopped) = watch::channel(false);
    let echoes = tokio::spawn(bystander(server.addr, stopped.clone()));
    let sampler = {
        let mut stopped = stopped;
        tokio::spawn(async move {
            let mut peak = 0;
            let mut ticks = tokio::time::interval(Duration::from_millis(20));
            loop {
                tokio::select! {
                    _ = stopped.changed() => return peak,
                    _ = ticks.tick() => peak = peak.max(probe.rss_kib().unwrap_or(0)),
                }
            }
        })
    };
    let attacker =
        match tokio::time::timeout(Duration::from_secs(120), attack(name, server.addr)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => format!("attack failed: {e}"),
            Err(_) => "attack timed out".to_owned(),
        };
    // Let the server settle (timers, closes), with the bystander still on.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(true);
    let (worst_echo, missed) = match echoes.await {
        Ok(Ok(seen)) => seen,
        _ => (Duration::MAX, u32::MAX),
    };
    let peak = sampler.await.unwrap_or(0);
    let after = Probe::of(server.pid).rss_kib().unwrap_or(0);
    let alive = tokio::net::TcpStream::connect(server.addr).await.is_ok();
    Ok(Outcome {
        attacker,
        worst_echo,
        missed,
        rss_mib: (mib(before), mib(peak.max(before)), mib(after)),
        alive,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut servers = Vec::new();
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--server", Some(spec)) => match spec.split_once('=') {
                Some((name, command)) => servers.push((name.to_owned(), command.to_owned())),
                None => return fail(format!("--server NAME=COMMAND, not {spec}")),
            },
            ("--only", Some(name)) => only = Some(name),
            _ => return fail("usage: hostile --server NAME=COMMAND... [--only ATTACK]"),
        }
    }
    println!(
        "| attack | server | attacker | worst echo | missed | RSS MiB before / peak / after | up |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in ATTACKS
        .iter()
        .filter(|a| only.as_deref().is_none_or(|o| a.contains(o)))
    {
        for (server, command) in &servers {
            match run(command, name).await {
                Ok(o) => println!(
                    "| {name} | {server} | {} | {} | {} | {:.0} / {:.0} / {:.0} | {} |",
                    o.attacker,
                    if o.worst_echo == Duration::MAX {
                        "bystander lost".to_owned()
                    } else {
                        format!("{} ms", o.worst_echo.as_millis())
                    },
                    o.missed,
                    o.rss_mib.0,
                    o.rss_mib.1,
                    o.rss_mib.2,
                    if o.alive { "yes" } else { "**no**" },
                ),
                Err(e) => println!("| {name} | {server} | harness error: {e} | | | | |"),
            }
        }
    }
    Ok(())
}

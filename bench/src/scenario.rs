//! The scenarios. Each one connects its clients first, then measures the
//! server's CPU time over the operations alone, and checks every reply: a
//! payload that comes back changed, a broadcast lost, doubled or out of
//! order fails the run.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{self, Polling};
use crate::{fail, Probe, Result};

/// What one run of a scenario measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    /// Operations done: round trips, deliveries, connects, or connections
    /// held.
    pub ops: u64,
    /// Wall time of the measured part, in seconds.
    pub wall_s: f64,
    /// The server's CPU time over the measured part, in seconds.
    pub cpu_s: f64,
    /// The part of `cpu_s` spent in user space (the rest is the kernel's).
    #[serde(default)]
    pub user_s: f64,
    /// Latency percentiles, in milliseconds, where the scenario has them.
    pub p50_ms: Option<f64>,
    /// See `p50_ms`.
    pub p99_ms: Option<f64>,
    /// Broadcasts a receiver got before one sent earlier (broadcast
    /// scenarios; losses and duplicates fail the run instead).
    #[serde(default)]
    pub out_of_order: u64,
    /// Resident memory per connection, in KiB (memory scenarios).
    pub rss_kib_per_conn: Option<f64>,
    /// The server's RSS over time while connections are held, in KiB
    /// (seconds since the clients connected, KiB).
    pub rss_over_time: Vec<(u64, u64)>,
}

impl Measured {
    /// Server CPU per operation, in microseconds.
    pub fn cpu_us_per_op(&self) -> f64 {
        self.cpu_s * 1e6 / self.ops.max(1) as f64
    }

    /// Server CPU in user space per operation, in microseconds.
    pub fn user_us_per_op(&self) -> f64 {
        self.user_s * 1e6 / self.ops.max(1) as f64
    }

    /// Operations per second of wall time.
    pub fn ops_per_s(&self) -> f64 {
        self.ops as f64 / self.wall_s.max(1e-9)
    }
}

/// The measured part of a run: wall time and the server's CPU time from
/// when it opens.
struct Window<'a> {
    probe: &'a Probe,
    cpu: (f64, f64),
    start: Instant,
}

impl<'a> Window<'a> {
    fn open(probe: &'a Probe) -> Result<Self> {
        Ok(Self {
            probe,
            cpu: probe.cpu_split()?,
            start: Instant::now(),
        })
    }

    /// What the window saw, `ops` operations in all.
    fn close(&self, ops: u64) -> Result<Measured> {
        let (user, system) = self.probe.cpu_split()?;
        Ok(Measured {
            ops,
            wall_s: self.start.elapsed().as_secs_f64(),
            cpu_s: user + system - self.cpu.0 - self.cpu.1,
            user_s: user - self.cpu.0,
            ..Measured::default()
        })
    }
}

/// A payload of about 100 characters that names its client and sequence
/// number, so that a reply meant for another request is seen.
fn payload(client: usize, seq: u64) -> String {
    let head = format!("c{client}-s{seq}-");
    format!("{head}{}", "x".repeat(100usize.saturating_sub(head.len())))
}

/// `count` clients joined to `/`, spread over `servers` in turn (client
/// `i` on server `i % servers.len()`), in that order.
pub async fn connect_all(servers: &[SocketAddr], count: usize) -> Result<Vec<client::Ws>> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut sockets = Vec::with_capacity(count);
    for i in 0..count {
        if tasks.len() >= 100 {
            if let Some(done) = tasks.join_next().await {
                sockets.push(done??);
            }
        }
        let addr = servers[i % servers.len()];
        tasks.spawn(async move {
            Ok::<_, crate::Error>((i, client::connect(addr, Some(source(i))).await?))
        });
    }
    while let Some(done) = tasks.join_next().await {
        sockets.push(done??);
    }
    sockets.sort_by_key(|(i, _)| *i);
    Ok(sockets.into_iter().map(|(_, ws)| ws).collect())
}

/// A loopback source address for connection `i`: 127.0.0.1 to 127.0.0.8,
/// so that tens of thousands of connections never run out of ports.
fn source(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % 8) as u8))
}

async fn join_all(tasks: &mut tokio::task::JoinSet<Result<()>>) -> Result<()> {
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// `clients` WebSocket clients, each doing `per_client` round trips one
/// after another: `echo` (data) answered by `echo` (data), or with `ack`,
/// `echo_ack` (data) answered by its ack.
pub async fn echo(
    addr: SocketAddr,
    probe: &Probe,
    clients: usize,
    per_client: u64,
    ack: bool,
) -> Result<Measured> {
    let sockets = connect_all(&[addr], clients).await?;
    let window = Window::open(probe)?;
    let mut tasks = tokio::task::JoinSet::new();
    for (client, mut ws) in sockets.into_iter().enumerate() {
        tasks.spawn(async move {
            for seq in 0..per_client {
                let data = payload(client, seq);
                let (sent, expected) = if ack {
                    (
                        format!("42{seq}[\"echo_ack\",\"{data}\"]"),
                        format!("43{seq}[\"{data}\"]"),
                    )
                } else {
                    let packet = format!("42[\"echo\",\"{data}\"]");
                    (packet.clone(), packet)
                };
                ws.send(Message::text(sent)).await?;
                let got = client::next_text(&mut ws).await?;
                if got.as_str() != expected {
                    return fail(format!("expected {expected:?}, got {got:?}"));
                }
            }
            client::close(ws).await
        });
    }
    join_all(&mut tasks).await?;
    window.close(clients as u64 * per_client)
}

/// `clients` long-polling clients, each doing `per_client` round trips: a
/// POST of `echo` (data), then GETs until `echo` (data) comes back.
pub async fn polling(
    addr: SocketAddr,
    probe: &Probe,
    clients: usize,
    per_client: u64,
) -> Result<Measured> {
    let mut sessions = Vec::with_capacity(clients);
    for _ in 0..clients {
        sessions.push(Polling::connect(addr).await?);
    }
    let window = Window::open(probe)?;
    let mut tasks = tokio::task::JoinSet::new();
    for (client, mut session) in sessions.into_iter().enumerate() {
        tasks.spawn(async move {
            for seq in 0..per_client {
                let packet = format!("42[\"echo\",\"{}\"]", payload(client, seq));
                session.send(&packet).await?;
                let got = session.receive().await?;
                if got != packet {
                    return fail(format!("expected {packet:?}, got {got:?}"));
                }
            }
            Ok(())
        });
    }
    join_all(&mut tasks).await?;
    window.close(clients as u64 * per_client)
}

/// `total` connections, `concurrency` at a time: WebSocket, handshake,
/// namespace CONNECT and its answer, close.
pub async fn connects(
    addr: SocketAddr,
    probe: &Probe,
    total: u64,
    concurrency: usize,
) -> Result<Measured> {
    let next = Arc::new(AtomicU64::new(0));
    let window = Window::open(probe)?;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let next = next.clone();
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let ws = client::connect(addr, Some(source(worker))).await?;
                client::close(ws).await?;
            }
            Ok(())
        });
    }
    join_all(&mut tasks).await?;
    window.close(total)
}

/// `receivers` clients spread over `servers` (a cluster, or one server);
/// the first, on the first server, also sends `messages` broadcasts, each
/// to every client of the cluster (itself included), with at most `window` broadcasts not yet
/// received by everyone. Each receiver checks it gets every broadcast
/// exactly once (a loss or a duplicate fails the run) and counts those that
/// arrive after a later one; latency is from send to each receipt.
pub async fn broadcast(
    servers: &[SocketAddr],
    probe: &Probe,
    receivers: usize,
    messages: u64,
    window: u64,
) -> Result<Measured> {
    let sockets = connect_all(servers, receivers).await?;
    let base = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..messages).map(|_| AtomicU64::new(0)).collect());
    let received: Arc<Vec<AtomicU64>> =
        Arc::new((0..receivers).map(|_| AtomicU64::new(0)).collect());
    let progress = Arc::new(Notify::new());
    let measuring = Window::open(probe)?;
    let mut readers = tokio::task::JoinSet::new();
    let mut sender = None;
    for (index, ws) in sockets.into_iter().enumerate() {
        let (sink, mut stream) = ws.split();
        if index == 0 {
            sender = Some(sink);
        }
        let (sent_at, received, progress) = (sent_at.clone(), received.clone(), progress.clone());
        readers.spawn(async move {
            let mut latencies = Vec::with_capacity(messages as usize);
            let mut seen = vec![false; messages as usize];
            let (mut count, mut next, mut out_of_order) = (0u64, 0u64, 0u64);
            while count < messages {
                let text = match stream.next().await {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return fail(format!("receiver {index}: {other:?}")),
                };
                if text.as_str() == "2" {
                    // Pings are not answered here (the run is far shorter
                    // than the ping timeout).
                    continue;
                }
                let seq = parse_broadcast(&text)?;
                match seen.get_mut(seq as usize) {
                    Some(seen) if !*seen => *seen = true,
                    _ => return fail(format!("receiver {index} got broadcast {seq} twice")),
                }
                if seq != next {
                    out_of_order += 1;
                }
                next = seq + 1;
                let now = base.elapsed().as_nanos() as u64;
                latencies.push(now.saturating_sub(sent_at[seq as usize].load(Ordering::Acquire)));
                count += 1;
                received[index].store(count, Ordering::Release);
                progress.notify_one();
            }
            Ok((latencies, out_of_order))
        });
    }
    let Some(mut sink) = sender else {
        return fail("no receivers");
    };
    for seq in 0..messages {
        while seq >= window && min_received(&received) + window <= seq {
            tokio::select! {
                () = progress.notified() => {}
                Some(done) = readers.join_next() => {
                    // No receiver can finish before every broadcast is sent.
                    done??;
                    return fail("a receiver stopped early");
                }
            }
        }
        sent_at[seq as usize].store(base.elapsed().as_nanos() as u64, Ordering::Release);
        let packet = format!("42[\"broadcast\",\"{}\"]", payload(0, seq));
        sink.send(Message::text(packet)).await?;
    }
    let mut latencies = Vec::with_capacity(receivers * messages as usize);
    let mut out_of_order = 0;
    while let Some(done) = readers.join_next().await {
        let (times, disorder) = done??;
        latencies.extend(times);
        out_of_order += disorder;
    }
    let measured = measuring.close(receivers as u64 * messages)?;
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p) as usize;
        latencies.get(i).map(|ns| *ns as f64 / 1e6)
    };
    Ok(Measured {
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        out_of_order,
        ..measured
    })
}

fn min_received(received: &[AtomicU64]) -> u64 {
    received
        .iter()
        .map(|r| r.load(Ordering::Acquire))
        .min()
        .unwrap_or(0)
}

/// The sequence number of `42["broadcast","c0-s<seq>-xxx"]`.
fn parse_broadcast(text: &str) -> Result<u64> {
    let seq = text
        .strip_prefix("42[\"broadcast\",\"c0-s")
        .and_then(|rest| rest.split('-').next())
        .and_then(|seq| seq.parse().ok());
    match seq {
        Some(seq) => Ok(seq),
        None => fail(format!("not a broadcast: {text:?}")),
    }
}

/// `count` idle WebSocket clients joined to `/`: the server's memory per
/// connection, from its RSS before (after a warm-up) and `settle` after they
/// are all connected (time and CPU are those of connecting them) (the warm-up's connections are given `settle` to go,
/// too). With `hold`, the clients stay that long answering pings and the
/// RSS is sampled every 5 s.
pub async fn idle_memory(
    addr: SocketAddr,
    probe: &Probe,
    count: usize,
    settle: Duration,
    hold: Duration,
) -> Result<Measured> {
    for ws in connect_all(&[addr], 10).await? {
        client::close(ws).await?;
    }
    tokio::time::sleep(settle).await;
    let before = probe.rss_kib()?;
    let window = Window::open(probe)?;
    let sockets = connect_all(&[addr], count).await?;
    let connected = window.close(count as u64)?;
    // Each client answers pings; anything else it reads fails the run. They
    // are stopped (aborted) at the end.
    let mut holders = tokio::task::JoinSet::new();
    for mut ws in sockets {
        holders.spawn(async move {
            match client::next_text(&mut ws).await {
                Ok(text) => fail(format!("an idle client got {text:?}")),
                Err(e) => Err(e),
            }
        });
    }
    tokio::time::sleep(settle).await;
    let after = probe.rss_kib()?;
    let mut rss_over_time = vec![(0, after)];
    let held = Instant::now();
    while held.elapsed() < hold {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Some(done) = holders.try_join_next() {
            done??;
            return fail("an idle client stopped early");
        }
        rss_over_time.push((held.elapsed().as_secs(), probe.rss_kib()?));
    }
    if let Some(done) = holders.try_join_next() {
        done??;
        return fail("an idle client stopped early");
    }
    holders.abort_all();
    Ok(Measured {
        rss_kib_per_conn: Some(after.saturating_sub(before) as f64 / count as f64),
        rss_over_time,
        ..connected
    })
}

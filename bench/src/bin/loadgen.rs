//! The load generator. `bench/run.sh` is the usual way in; by hand:
//!
//! ```text
//! loadgen suite [--runs N] [--quick] [--hold SECS] [--only a,b] [--out FILE]
//!               [--server NAME=COMMAND]...
//! loadgen report FILE
//! loadgen run ADDR[,ADDR] PID[,PID] SCENARIO [--quick] [--hold SECS]
//! ```
//!
//! `suite` starts each server for each scenario and run, pinned to core 0
//! with `taskset` (the generator should run on core 1), with `PORT` set to
//! a free port, and appends one JSON record per run to FILE; then prints
//! the table. `report` prints the table of a FILE written before. `run`
//! runs one scenario against a server already listening on ADDR whose
//! process is PID (to profile it under perf or heaptrack).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use bench::process::{Redis, Server};
use bench::report::{self, Record};
use bench::scenario::{self, Measured};
use bench::{fail, Probe, Result};

/// The scenarios in the order they run, with which servers can run them.
const SCENARIOS: &[&str] = &[
    "echo",
    "ack",
    "broadcast_100",
    "broadcast_1000",
    "connect",
    "polling",
    "idle_2000",
    "idle_15000",
    "cluster_broadcast",
    "cluster_broadcast_sharded",
];

/// Scenarios run on two servers of one cluster through a `redis-server`
/// the generator starts (servers read `REDIS_URL`).
const CLUSTER_SCENARIOS: &[&str] = &["cluster_broadcast", "cluster_broadcast_sharded"];

struct Options {
    runs: u32,
    quick: bool,
    hold: Duration,
    only: Option<Vec<String>>,
    out: String,
    servers: Vec<(String, String)>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("suite") => parse(&args[1..]).and_then(suite),
        Some("run") => attach(&args[1..]),
        Some("report") => match args.get(1) {
            Some(file) => read_records(file).map(|records| print!("{}", report::table(&records))),
            None => fail("usage: loadgen report FILE"),
        },
        _ => fail("usage: loadgen suite [options] | loadgen report FILE (see bench/README.md)"),
    };
    if let Err(e) = outcome {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

fn parse(args: &[String]) -> Result<Options> {
    let options = parse_flags(args)?;
    if options.servers.is_empty() {
        return fail("no --server given");
    }
    Ok(options)
}

fn parse_flags(args: &[String]) -> Result<Options> {
    let mut options = Options {
        runs: 3,
        quick: false,
        hold: Duration::ZERO,
        only: None,
        out: "target/bench/results.jsonl".to_owned(),
        servers: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--runs" => options.runs = value()?.parse()?,
            "--quick" => options.quick = true,
            "--hold" => options.hold = Duration::from_secs(value()?.parse()?),
            "--only" => options.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--out" => options.out = value()?,
            "--server" => {
                let spec = value()?;
                let Some((name, command)) = spec.split_once('=') else {
                    return fail("--server takes NAME=COMMAND");
                };
                options.servers.push((name.to_owned(), command.to_owned()));
            }
            other => return fail(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn attach(args: &[String]) -> Result<()> {
    let [addr, pid, scenario, rest @ ..] = args else {
        return fail("usage: loadgen run ADDR PID SCENARIO [options]");
    };
    let options = parse_flags(rest)?;
    let probe = Probe::of_all(
        pid.split(',')
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()?,
    );
    let addrs: Vec<SocketAddr> = addr
        .split(',')
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let measured = runtime.block_on(run_scenario(&addrs, &probe, scenario, &options))?;
    println!("{}", serde_json::to_string(&measured)?);
    Ok(())
}

fn read_records(file: &str) -> Result<Vec<Record>> {
    let text = std::fs::read_to_string(file)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(Into::into))
        .collect()
}

/// Which scenarios a server takes part in: the bare relay has no polling.
fn runs_scenario(server: &str, scenario: &str) -> bool {
    match server {
        "bare" => scenario != "polling" && !CLUSTER_SCENARIOS.contains(&scenario),
        // socketioxide's Redis adapter does not speak Node's protocol; the
        // comparison is with Node's cluster.
        "socketioxide" => !CLUSTER_SCENARIOS.contains(&scenario),
        _ => true,
    }
}

fn suite(options: Options) -> Result<()> {
    if let Some(dir) = std::path::Path::new(&options.out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&options.out)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut records = Vec::new();
    for scenario in SCENARIOS {
        if let Some(only) = &options.only {
            if !only.iter().any(|o| o == scenario) {
                continue;
            }
        }
        for run in 1..=options.runs {
            for (server, command) in &options.servers {
                if !runs_scenario(server, scenario) {
                    continue;
                }
                let measured = runtime.block_on(run_one(command, scenario, &options))?;
                if server == report::OURS && measured.out_of_order > 0 {
                    return fail(format!(
                        "{scenario}: {} broadcasts out of order",
                        measured.out_of_order
                    ));
                }
                eprintln!(
                    "{scenario:>15} {server:>13} run {run}: {} ops, {:.2} s, {:.2} µs CPU/op ({:.2} user), {} out of order{}",
                    measured.ops,
                    measured.wall_s,
                    measured.cpu_us_per_op(),
                    measured.user_us_per_op(),
                    measured.out_of_order,
                    measured
                        .rss_kib_per_conn
                        .map_or(String::new(), |k| format!(", {k:.1} KiB/conn")),
                );
                let record = Record {
                    server: server.clone(),
                    scenario: (*scenario).to_owned(),
                    run,
                    measured,
                };
                writeln!(out, "{}", serde_json::to_string(&record)?)?;
                records.push(record);
            }
        }
    }
    print!("{}", report::table(&records));
    Ok(())
}

async fn run_one(command: &str, scenario: &str, options: &Options) -> Result<Measured> {
    let (mut servers, _redis) = if CLUSTER_SCENARIOS.contains(&scenario) {
        let redis = Redis::start().await?;
        let sharded = scenario.ends_with("_sharded");
        let adapter = if sharded { "sharded" } else { "classic" };
        let env = [
            ("REDIS_URL", redis.url.clone()),
            ("ADAPTER", adapter.to_owned()),
        ];
        let first = Server::start(command, &env).await?;
        let second = Server::start(command, &env).await?;
        // Both subscribed before the clients come.
        if sharded {
            redis
                .until_subscribers("SHARDNUMSUB", "socket.io#/#", 2)
                .await?;
        } else {
            redis
                .until_subscribers("NUMSUB", "socket.io-request#/#", 2)
                .await?;
        }
        (vec![first, second], Some(redis))
    } else {
        (vec![Server::start(command, &[]).await?], None)
    };
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let probe = Probe::of_all(servers.iter().map(|s| s.pid).collect());
    let outcome = tokio::time::timeout(
        Duration::from_secs(300) + options.hold,
        run_scenario(&addrs, &probe, scenario, options),
    )
    .await;
    for server in &mut servers {
        server.stop().await;
    }
    match outcome {
        Ok(measured) => measured,
        Err(_) => fail(format!(
            "{scenario} against {command} did not finish in time"
        )),
    }
}

async fn run_scenario(
    servers: &[SocketAddr],
    probe: &Probe,
    scenario: &str,
    options: &Options,
) -> Result<Measured> {
    let addr = servers[0];
    let scale = |n: u64| if options.quick { (n / 10).max(1) } else { n };
    match scenario {
        "echo" => scenario::echo(addr, probe, 50, scale(4_000), false).await,
        "ack" => scenario::echo(addr, probe, 50, scale(4_000), true).await,
        "broadcast_100" => scenario::broadcast(&[addr], probe, 100, scale(10_000), 20).await,
        "broadcast_1000" => scenario::broadcast(&[addr], probe, 1_000, scale(1_000), 10).await,
        "cluster_broadcast" | "cluster_broadcast_sharded" => {
            scenario::broadcast(servers, probe, 200, scale(2_000), 20).await
        }
        "connect" => scenario::connects(addr, probe, scale(5_000), 20).await,
        "polling" => scenario::polling(addr, probe, 50, scale(500)).await,
        "idle_2000" => {
            scenario::idle_memory(addr, probe, scale(2_000) as usize, SETTLE, Duration::ZERO).await
        }
        "idle_15000" => {
            scenario::idle_memory(addr, probe, scale(15_000) as usize, SETTLE, options.hold).await
        }
        other => fail(format!("unknown scenario {other}")),
    }
}

/// How long memory scenarios let a server settle before reading its RSS.
const SETTLE: Duration = Duration::from_secs(2);

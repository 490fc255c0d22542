//! The processes under test: servers started from a command line, pinned
//! to core 0 with `taskset` and given a free `PORT`, and the `redis-server`
//! a cluster of them shares.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::{fail, Result};

/// A process listening on a port of its own.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, for the [`Probe`](crate::Probe).
    pub pid: u32,
}

impl Server {
    /// Runs `command` (a program and its arguments) with `PORT` set to a
    /// free port and `env`, and waits until it accepts connections.
    pub async fn start(command: &str, env: &[(&str, String)]) -> Result<Self> {
        let mut words = command.split_whitespace();
        let Some(program) = words.next() else {
            return fail("empty server command");
        };
        let args: Vec<String> = words.map(str::to_owned).collect();
        Self::run(free_port()?, program, &args, env).await
    }

    async fn run(
        port: u16,
        program: &str,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Self> {
        let child = Command::new("taskset")
            .args(["-c", "0", program])
            .args(args)
            .env("PORT", port.to_string())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let Some(pid) = child.id() else {
            return fail("the server exited at once");
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        // Another process: poll until it listens.
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return fail(format!("{program} did not listen on {addr}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, addr, pid })
    }

    /// Stops it.
    pub async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// A `redis-server` on core 0 with the servers, saving nothing.
#[derive(Debug)]
pub struct Redis {
    _server: Server,
    /// Its URL, `redis://127.0.0.1:<port>`.
    pub url: String,
}

impl Redis {
    /// Starts one (`redis-server` must be installed; `bench/run.sh`
    /// installs it).
    pub async fn start() -> Result<Self> {
        let port = free_port()?;
        let args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        let server = Server::run(port, "redis-server", &args, &[]).await?;
        let url = format!("redis://{}", server.addr);
        Ok(Self {
            _server: server,
            url,
        })
    }
}

impl Redis {
    /// Waits until `count` clients subscribe to `channel` (the servers of a
    /// cluster, to its request channel), as `PUBSUB <numsub>` counts them
    /// (`NUMSUB`, or `SHARDNUMSUB` for sharded channels), asking Redis again
    /// each time it answers, for 30 s at most.
    pub async fn until_subscribers(&self, numsub: &str, channel: &str, count: usize) -> Result<()> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        let asked = Instant::now();
        loop {
            let (_, subscribers): (String, usize) = redis::cmd("PUBSUB")
                .arg(numsub)
                .arg(channel)
                .query_async(&mut conn)
                .await?;
            if subscribers >= count {
                return Ok(());
            }
            if asked.elapsed() > Duration::from_secs(30) {
                return fail(format!("{subscribers} of {count} subscribed to {channel}"));
            }
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

//! A real `redis-server` for a test: Debian's package (the test command
//! installs it), on a free port, with nothing saved to disk, stopped when
//! dropped.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
    /// Its URL, `redis://127.0.0.1:<port>`.
    pub url: String,
}

impl RedisServer {
    /// Starts one and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not start within 10 s.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts one with more command-line options (`--cluster-enabled yes`,
    /// say), on a free port.
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`].
    pub async fn start_with(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        Self {
            child: Some(run(port, &args).await),
            port,
            args,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it, as a crash would: clients see their connections drop.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port (empty: nothing was saved).
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`].
    pub async fn restart(&mut self) {
        self.stop().await;
        self.child = Some(run(self.port, &self.args).await);
    }
}

/// Runs `redis-server` on `port` until it accepts connections.
async fn run(port: u16, args: &[String]) -> Child {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run redis-server (apt-get install redis-server): {e}"));
    let Some(stdout) = child.stdout.take() else {
        panic!("redis-server has no stdout");
    };
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("Ready to accept connections") {
                return true;
            }
        }
        false
    })
    .await;
    assert!(ready == Ok(true), "redis-server did not start");
    // Keep reading, so that its output never blocks it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

/// Waits until `adapter` counts `servers` servers in its cluster (every
/// one has subscribed), asking the broker again each time it answers.
///
/// # Panics
///
/// When they are not all there within 10 s.
pub async fn until_cluster_of(adapter: &dyn socketio_adapter::Adapter, servers: usize) {
    let formed = tokio::time::timeout(Duration::from_secs(10), async {
        // Each round trip to Redis paces the loop: the other servers are
        // processes (or tasks on the broker's side) whose time cannot be
        // paused.
        while adapter.server_count().await.ok() != Some(servers) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(formed.is_ok(), "the cluster of {servers} did not form");
}

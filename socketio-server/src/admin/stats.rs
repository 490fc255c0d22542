//! `server_stats`: what the UI shows of each server, every two seconds,
//! with the engine's traffic of each second as aggregated events.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use socketio_parser::Value;

use super::{lock, now_millis, Instrument};
use crate::server::ServerInner;
use crate::Server;

/// What `server_stats` always says about this process.
pub(super) struct BaseStats {
    server_id: String,
    hostname: String,
    pid: u32,
    started: Instant,
}

impl BaseStats {
    pub(super) fn new(server_id: Option<String>) -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Self {
            server_id: server_id.unwrap_or_else(|| hostname.clone()),
            hostname,
            pid: std::process::id(),
            started: Instant::now(),
        }
    }

    pub(super) fn stats(&self, io: &Server, aggregated: Vec<Value>) -> Value {
        let engine = io.engine().stats();
        let namespaces: Vec<Value> = io
            .inner()
            .namespace_list()
            .iter()
            .map(|ns| {
                Value::Object(vec![
                    ("name".to_owned(), Value::from(ns.name())),
                    (
                        "socketsCount".to_owned(),
                        Value::from(ns.socket_count() as u64),
                    ),
                ])
            })
            .collect();
        let uptime = serde_json::Number::from_f64(self.started.elapsed().as_secs_f64())
            .map_or(Value::Null, Value::Number);
        Value::Object(vec![
            ("serverId".to_owned(), Value::from(self.server_id.as_str())),
            ("hostname".to_owned(), Value::from(self.hostname.as_str())),
            ("pid".to_owned(), Value::from(u64::from(self.pid))),
            ("uptime".to_owned(), uptime),
            (
                "clientsCount".to_owned(),
                Value::from(engine.sessions as u64),
            ),
            (
                "pollingClientsCount".to_owned(),
                Value::from(engine.polling_sessions as u64),
            ),
            ("aggregatedEvents".to_owned(), Value::Array(aggregated)),
            ("namespaces".to_owned(), Value::Array(namespaces)),
        ])
    }
}

/// Every second, the engine's counters become aggregated events of that
/// second; every two seconds, `server_stats` carries them to the UI.
pub(super) async fn emit_stats(
    io: Weak<ServerInner>,
    instrument: Arc<Instrument>,
    base: Arc<BaseStats>,
    since: engineio_server::EngineStats,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = since;
    for tick in 0u64.. {
        ticks.tick().await;
        let Some(io) = io.upgrade().map(Server::from_inner) else {
            return;
        };
        let now = io.engine().stats();
        {
            let second = now_millis() / 1000 * 1000;
            let mut events = lock(&instrument.aggregated);
            let mut push = |kind: &str, sub: Option<&str>, count: u64| {
                if count > 0 {
                    let mut fields = vec![
                        ("timestamp".to_owned(), Value::from(second)),
                        ("type".to_owned(), Value::from(kind)),
                    ];
                    if let Some(sub) = sub {
                        fields.push(("subType".to_owned(), Value::from(sub)));
                    }
                    fields.push(("count".to_owned(), Value::from(count)));
                    events.push(Value::Object(fields));
                }
            };
            push(
                "rawConnection",
                None,
                now.handshakes().saturating_sub(last.handshakes()),
            );
            for ((reason, n), (_, before)) in now.closes.iter().zip(&last.closes) {
                push(
                    "rawDisconnection",
                    Some(reason.as_str()),
                    n.saturating_sub(*before),
                );
            }
            let (a, b) = (&now, &last);
            let traffic = |f: fn(&engineio_server::TrafficStats) -> u64| {
                (f(&a.polling) + f(&a.websocket)).saturating_sub(f(&b.polling) + f(&b.websocket))
            };
            push("packetsIn", None, traffic(|t| t.messages_in));
            push("packetsOut", None, traffic(|t| t.messages_out));
            push("bytesIn", None, traffic(|t| t.bytes_in));
            push("bytesOut", None, traffic(|t| t.bytes_out));
        }
        last = now;
        // Every two seconds from the start (a UI that connects gets the
        // stats at once, without the aggregated events).
        if tick % 2 == 0 && tick > 0 {
            let aggregated = std::mem::take(&mut *lock(&instrument.aggregated));
            instrument.emit("server_stats", vec![base.stats(&io, aggregated)]);
        }
    }
}

//! Prometheus metrics (with the `prometheus-client` crate): what an
//! operator needs to see of a running server without its logs. Node's
//! server has none of this built in.
//!
//! Counted as they happen, once metrics are asked for: socket connections
//! and disconnections (by namespace and reason), broadcast fan-out, the
//! round trip of acks the server asks for. Read at each scrape: connected
//! sockets per namespace and the engine's counters (sessions, handshakes,
//! upgrades, closes by reason, messages and bytes in and out by transport).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::server::ServerInner;
use crate::{DisconnectReason, Namespace, Server};

/// The content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NamespaceLabel {
    namespace: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DisconnectLabels {
    namespace: String,
    reason: &'static str,
}

/// The metrics counted as events happen.
#[derive(Debug)]
struct Counted {
    connections: Family<NamespaceLabel, Counter>,
    disconnections: Family<DisconnectLabels, Counter>,
    fan_out: Histogram,
    ack_round_trip: Histogram,
}

impl Counted {
    fn new() -> Self {
        Self {
            connections: Family::default(),
            disconnections: Family::default(),
            // 1, 4, 16, ... 16 384 recipients.
            fan_out: Histogram::new(exponential_buckets(1.0, 4.0, 8)),
            // 1 ms to about 8 s.
            ack_round_trip: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
        }
    }
}

thread_local! {
    /// Deliveries made inside [`unobserved`] on this thread.
    static UNOBSERVED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, whose deliveries are not broadcasts for the fan-out metric (an
/// emit to one socket through the adapter, the admin UI's own events).
/// Adapters deliver locally on the caller's thread, within the call.
pub(crate) fn unobserved<R>(f: impl FnOnce() -> R) -> R {
    let before = UNOBSERVED.with(|u| u.replace(true));
    let result = f();
    UNOBSERVED.with(|u| u.set(before));
    result
}

/// Where the server counts, once metrics are asked for (nothing is counted
/// before: a server without metrics pays one atomic load per event). Each
/// namespace holds it.
#[derive(Debug, Default)]
pub(crate) struct Hooks {
    counted: OnceLock<Arc<Counted>>,
}

impl Hooks {
    pub(crate) fn socket_connected(&self, ns: &Namespace) {
        if let Some(c) = self.counted.get() {
            c.connections
                .get_or_create(&NamespaceLabel {
                    namespace: ns.metrics_label(),
                })
                .inc();
        }
    }

    pub(crate) fn socket_disconnected(&self, ns: &Namespace, reason: DisconnectReason) {
        if let Some(c) = self.counted.get() {
            c.disconnections
                .get_or_create(&DisconnectLabels {
                    namespace: ns.metrics_label(),
                    reason: reason.as_str(),
                })
                .inc();
        }
    }

    pub(crate) fn broadcast(&self, recipients: usize) {
        if let Some(c) = self.counted.get() {
            if !UNOBSERVED.with(Cell::get) {
                c.fan_out.observe(recipients as f64);
            }
        }
    }

    pub(crate) fn ack_round_trip(&self, elapsed: Duration) {
        if let Some(c) = self.counted.get() {
            c.ack_round_trip.observe(elapsed.as_secs_f64());
        }
    }
}

/// The metrics read at each scrape.
#[derive(Debug)]
struct Scraped(Weak<ServerInner>);

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(server) = self.0.upgrade().map(Server::from_inner) else {
            return Ok(());
        };
        let mut sockets = encoder.encode_descriptor(
            "socketio_sockets",
            "Sockets connected to this server, by namespace",
            None,
            MetricType::Gauge,
        )?;
        // The children of a dynamic namespace are summed under its label.
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for ns in server.inner().namespace_list() {
            *counts.entry(ns.metrics_label()).or_default() += ns.socket_count();
        }
        for (namespace, count) in counts {
            let label = NamespaceLabel { namespace };
            ConstGauge::new(count as i64).encode(sockets.encode_family(&label)?)?;
        }
        let stats = server.engine().stats();
        let gauge = |encoder: &mut DescriptorEncoder<'_>, name, help, value: usize| {
            let metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(value as i64).encode(metric)
        };
        gauge(
            &mut encoder,
            "engineio_sessions",
            "Engine.IO sessions open",
            stats.sessions,
        )?;
        gauge(
            &mut encoder,
            "engineio_polling_sessions",
            "Engine.IO sessions open on long-polling (not upgraded)",
            stats.polling_sessions,
        )?;
        let mut handshakes = encoder.encode_descriptor(
            "engineio_handshakes",
            "Engine.IO handshakes, by transport",
            None,
            MetricType::Counter,
        )?;
        for (transport, n) in [
            ("polling", stats.handshakes_polling),
            ("websocket", stats.handshakes_websocket),
        ] {
            ConstCounter::new(n).encode(handshakes.encode_family(&[("transport", transport)])?)?;
        }
        let upgrades = encoder.encode_descriptor(
            "engineio_upgrades",
            "Engine.IO sessions upgraded from long-polling to WebSocket",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(stats.upgrades).encode(upgrades)?;
        let mut closes = encoder.encode_descriptor(
            "engineio_closes",
            "Engine.IO sessions closed, by reason",
            None,
            MetricType::Counter,
        )?;
        for (reason, n) in &stats.closes {
            ConstCounter::new(*n).encode(closes.encode_family(&[("reason", reason.as_str())])?)?;
        }
        type Field = fn(&engineio_server::TrafficStats) -> u64;
        let traffic: [(&str, &str, Option<Unit>, Field); 4] = [
            (
                "engineio_messages_received",
                "Engine.IO messages received, by transport",
                None,
                |t| t.messages_in,
            ),
            (
                "engineio_messages_sent",
                "Engine.IO messages queued for clients, by transport",
                None,
                |t| t.messages_out,
            ),
            (
                "engineio_received",
                "Bytes of the Engine.IO messages received, by transport",
                Some(Unit::Bytes),
                |t| t.bytes_in,
            ),
            (
                "engineio_sent",
                "Bytes of the Engine.IO messages queued for clients, by transport",
                Some(Unit::Bytes),
                |t| t.bytes_out,
            ),
        ];
        for (name, help, unit, field) in traffic {
            let mut metric =
                encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Counter)?;
            for (transport, t) in [("polling", &stats.polling), ("websocket", &stats.websocket)] {
                ConstCounter::new(field(t))
                    .encode(metric.encode_family(&[("transport", transport)])?)?;
            }
        }
        Ok(())
    }
}

impl Server {
    /// Adds this server's metrics to `registry`: counted from now on
    /// (connections, disconnections, broadcasts, ack round trips) or read
    /// at each scrape (sockets, sessions, traffic). Call it for each
    /// registry that should show them;
    /// [`ServerBuilder::metrics_path`](crate::ServerBuilder::metrics_path)
    /// serves a registry of its own.
    pub fn register_metrics(&self, registry: &mut Registry) {
        let counted = self
            .inner()
            .metrics()
            .counted
            .get_or_init(|| Arc::new(Counted::new()))
            .clone();
        registry.register(
            "socketio_connections",
            "Sockets that joined a namespace, by namespace",
            counted.connections.clone(),
        );
        registry.register(
            "socketio_disconnections",
            "Sockets that left a namespace, by namespace and reason",
            counted.disconnections.clone(),
        );
        registry.register(
            "socketio_broadcast_recipients",
            "Sockets of this server each broadcast reached",
            counted.fan_out.clone(),
        );
        registry.register_with_unit(
            "socketio_ack_round_trip",
            "Time from an emit with an ack to the client's answer",
            Unit::Seconds,
            counted.ack_round_trip.clone(),
        );
        registry.register_collector(Box::new(Scraped(Arc::downgrade(self.inner()))));
    }
}

/// The endpoint [`ServerBuilder::metrics_path`](crate::ServerBuilder::metrics_path)
/// adds: its path, and its registry once the server exists.
#[derive(Debug)]
pub(crate) struct Endpoint {
    path: String,
    registry: OnceLock<Registry>,
}

impl Endpoint {
    pub(crate) fn new(path: String) -> Arc<Self> {
        Arc::new(Self {
            path,
            registry: OnceLock::new(),
        })
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Fills the registry with `server`'s metrics.
    pub(crate) fn attach(&self, server: &Server) {
        let mut registry = Registry::default();
        server.register_metrics(&mut registry);
        let _ = self.registry.set(registry);
    }

    /// The answer to a request for the endpoint's path: the metrics to a
    /// GET, 405 to other methods.
    pub(crate) fn respond(&self, method: &Method) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let mut text = String::new();
        if let Some(registry) = self.registry.get() {
            if let Err(e) = prometheus_client::encoding::text::encode(&mut text, registry) {
                tracing::warn!(error = %e, "metrics not encoded");
            }
        }
        let mut response = Response::new(Full::new(Bytes::from(text)));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        response
    }
}

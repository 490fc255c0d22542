//! The open packet's handshake data.

use serde::{Deserialize, Serialize};

/// The JSON carried by the `open` packet, which starts every session.
///
/// From the Engine.IO protocol, "Handshake": the server answers the first
/// request with `0{"sid":"...","upgrades":["websocket"],"pingInterval":25000,
/// "pingTimeout":20000,"maxPayload":1000000}`. Protocol v3 has no
/// `maxPayload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The session id.
    pub sid: String,
    /// The transports the client may upgrade to (`["websocket"]` or `[]`).
    pub upgrades: Vec<String>,
    /// Milliseconds between two heartbeats.
    pub ping_interval: u64,
    /// Milliseconds to wait for the other side's heartbeat before closing.
    pub ping_timeout: u64,
    /// The largest polling payload the server accepts, in bytes (v4 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload: Option<u64>,
}

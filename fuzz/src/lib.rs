//! Helpers shared by the fuzz targets: comparing Socket.IO packets up to
//! the number normalisation that encoding does on purpose.
//!
//! Both wire formats write numbers the way JavaScript does, where there is
//! one number type: a float with an integral value is written as an integer
//! (`1.0` becomes `1`, `-0.0` becomes `0`), and so reads back as an integer
//! [`Number`]. serde_json's default float parsing is also only best-effort
//! (without its `float_roundtrip` feature it may be off by an ulp), so the
//! JSON round trip of a float may not give the same bits. Packets are
//! therefore compared with numbers compared by value, floats within a few
//! ulps; everything else (types, namespaces, ids, strings, binary data,
//! structure and key order) must be exactly equal.

use socketio_parser::value::Number;
use socketio_parser::{Packet, Value};

/// Whether two numbers are the same JavaScript number (floats within a few
/// ulps of each other).
pub fn same_number(a: &Number, b: &Number) -> bool {
    if !a.is_f64() && !b.is_f64() {
        return a == b;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => {
            x == y
                || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                || (x - y).abs() <= f64::MIN_POSITIVE
        }
        _ => false,
    }
}

/// Structural equality of values, numbers compared with [`same_number`].
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((kx, x), (ky, y))| kx == ky && same_value(x, y))
        }
        _ => a == b,
    }
}

fn same_values(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
}

/// Packet equality with numbers compared by [`same_value`].
pub fn same_packet(a: &Packet, b: &Packet) -> bool {
    if a.type_id() != b.type_id() || a.nsp() != b.nsp() || a.id() != b.id() {
        return false;
    }
    match (a, b) {
        (Packet::Connect { data: x, .. }, Packet::Connect { data: y, .. }) => match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => same_value(x, y),
            _ => false,
        },
        (Packet::Disconnect { .. }, Packet::Disconnect { .. }) => true,
        (Packet::ConnectError { data: x, .. }, Packet::ConnectError { data: y, .. }) => {
            same_value(x, y)
        }
        (Packet::Event { data: x, .. }, Packet::Event { data: y, .. })
        | (Packet::Ack { data: x, .. }, Packet::Ack { data: y, .. })
        | (Packet::BinaryEvent { data: x, .. }, Packet::BinaryEvent { data: y, .. })
        | (Packet::BinaryAck { data: x, .. }, Packet::BinaryAck { data: y, .. }) => {
            same_values(x, y)
        }
        _ => false,
    }
}

/// How many [`Value::Binary`] nodes a packet holds.
pub fn binary_count(p: &Packet) -> usize {
    fn count(v: &Value) -> usize {
        match v {
            Value::Binary(_) => 1,
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(entries) => entries.iter().map(|(_, v)| count(v)).sum(),
            _ => 0,
        }
    }
    match p {
        Packet::Connect { data, .. } => data.as_ref().map_or(0, count),
        Packet::Disconnect { .. } => 0,
        Packet::ConnectError { data, .. } => count(data),
        Packet::Event { data, .. }
        | Packet::Ack { data, .. }
        | Packet::BinaryEvent { data, .. }
        | Packet::BinaryAck { data, .. } => data.iter().map(count).sum(),
    }
}

//! Packets and values to msgpack, choosing the same markers as notepack.io.

use bytes::BufMut;

use crate::{Packet, Value};

/// Writes `{type, data, id, nsp}` (absent fields left out), the key order in
/// which Node's socket.io server builds an emitted packet.
pub(super) fn write_packet<B: BufMut>(packet: &Packet, out: &mut B) {
    let type_id = match packet.type_id() {
        5 => 2,
        6 => 3,
        t => t,
    };
    let (data, args): (Option<&Value>, Option<&[Value]>) = match packet {
        Packet::Connect { data, .. } => (data.as_ref(), None),
        Packet::Disconnect { .. } => (None, None),
        Packet::ConnectError { data, .. } => (Some(data), None),
        Packet::Event { data, .. }
        | Packet::Ack { data, .. }
        | Packet::BinaryEvent { data, .. }
        | Packet::BinaryAck { data, .. } => (None, Some(data.as_slice())),
    };
    let id = packet.id();
    let fields = 2 + usize::from(data.is_some() || args.is_some()) + usize::from(id.is_some());
    write_map_len(fields, out);
    write_str("type", out);
    write_u64(u64::from(type_id), out);
    if let Some(data) = data {
        write_str("data", out);
        write_value(data, out);
    }
    if let Some(args) = args {
        write_str("data", out);
        write_array_len(args.len(), out);
        for v in args {
            write_value(v, out);
        }
    }
    if let Some(id) = id {
        write_str("id", out);
        write_u64(id, out);
    }
    write_str("nsp", out);
    write_str(packet.nsp(), out);
}

pub(super) fn write_value<B: BufMut>(value: &Value, out: &mut B) {
    match value {
        Value::Null => out.put_u8(0xc0),
        Value::Bool(b) => out.put_u8(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write_u64(u, out);
            } else if let Some(i) = n.as_i64() {
                write_i64(i, out);
            } else if let Some(f) = n.as_f64() {
                write_f64(f, out);
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Binary(b) => {
            write_sized_len(b.len(), [0xc4, 0xc5, 0xc6], out);
            out.put_slice(b);
        }
        Value::Array(items) => {
            write_array_len(items.len(), out);
            for v in items {
                write_value(v, out);
            }
        }
        Value::Object(entries) => {
            write_map_len(entries.len(), out);
            for (k, v) in entries {
                write_str(k, out);
                write_value(v, out);
            }
        }
    }
}

/// JavaScript has one number type, so notepack writes a float with an
/// integral value as an integer; so do we, for the values it can hold.
fn write_f64<B: BufMut>(f: f64, out: &mut B) {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (0.0..2.0 * TWO_POW_63).contains(&f) {
        write_u64(f as u64, out);
    } else if f.fract() == 0.0 && (-TWO_POW_63..0.0).contains(&f) {
        write_i64(f as i64, out);
    } else {
        out.put_u8(0xcb);
        out.put_f64(f);
    }
}

fn write_u64<B: BufMut>(n: u64, out: &mut B) {
    match n {
        0..=0x7f => out.put_u8(n as u8),
        0x80..=0xff => out.put_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.put_u8(0xcd);
            out.put_u16(n as u16);
        }
        0x1_0000..=0xffff_ffff => {
            out.put_u8(0xce);
            out.put_u32(n as u32);
        }
        _ => {
            out.put_u8(0xcf);
            out.put_u64(n);
        }
    }
}

fn write_i64<B: BufMut>(n: i64, out: &mut B) {
    match n {
        0.. => write_u64(n.unsigned_abs(), out),
        -0x20..=-1 => out.put_i8(n as i8),
        -0x80..=-0x21 => out.put_slice(&[0xd0, n as u8]),
        -0x8000..=-0x81 => {
            out.put_u8(0xd1);
            out.put_i16(n as i16);
        }
        -0x8000_0000..=-0x8001 => {
            out.put_u8(0xd2);
            out.put_i32(n as i32);
        }
        _ => {
            out.put_u8(0xd3);
            out.put_i64(n);
        }
    }
}

fn write_str<B: BufMut>(s: &str, out: &mut B) {
    match s.len() {
        n if n < 0x20 => out.put_u8(0xa0 | n as u8),
        n => write_sized_len(n, [0xd9, 0xda, 0xdb], out),
    }
    out.put_slice(s.as_bytes());
}

/// The header of a string or binary: its marker for an 8, 16 or 32-bit
/// length, then the length.
fn write_sized_len<B: BufMut>(n: usize, [m8, m16, m32]: [u8; 3], out: &mut B) {
    if n < 0x100 {
        out.put_slice(&[m8, n as u8]);
    } else {
        write_wide_len(n, [m16, m32], out);
    }
}

fn write_array_len<B: BufMut>(n: usize, out: &mut B) {
    write_container_len(n, [0x90, 0xdc, 0xdd], out);
}

fn write_map_len<B: BufMut>(n: usize, out: &mut B) {
    write_container_len(n, [0x80, 0xde, 0xdf], out);
}

/// The header of an array or a map: a "fix" marker with the length in its
/// low four bits, or a 16-bit or 32-bit length after its own marker.
fn write_container_len<B: BufMut>(n: usize, [fix, m16, m32]: [u8; 3], out: &mut B) {
    if n < 0x10 {
        out.put_u8(fix | n as u8);
    } else {
        write_wide_len(n, [m16, m32], out);
    }
}

/// A 16-bit or 32-bit length after its marker, the forms every sized
/// msgpack type shares.
fn write_wide_len<B: BufMut>(n: usize, [m16, m32]: [u8; 2], out: &mut B) {
    if n < 0x10000 {
        out.put_u8(m16);
        out.put_u16(n as u16);
    } else {
        out.put_u8(m32);
        out.put_u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
}

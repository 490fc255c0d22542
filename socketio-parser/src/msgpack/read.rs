//! msgpack to packets and values, reading what notepack.io writes (and
//! what browsers send: binary as ext type 0).

use bytes::Bytes;
use engineio_protocol::Str;

use crate::value::{JsDate, ObjectBuilder};
use crate::{Error, Value};

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

/// The fields of a packet object, before validation.
#[derive(Debug)]
pub(super) struct Fields {
    pub(super) type_id: u8,
    pub(super) nsp: Str,
    pub(super) id: Option<u64>,
    pub(super) data: Option<Value>,
}

/// Reads one value that is the whole of `input`.
pub(super) fn read_value(input: Bytes) -> Result<Value, Error> {
    let mut r = Reader { input, pos: 0 };
    let value = r.value(1)?;
    if r.pos != r.input.len() {
        return Err(Error::InvalidMsgpack("trailing bytes"));
    }
    Ok(value)
}

/// Reads the packet object. Unknown keys (the JS client sends `options`)
/// are skipped; a key whose value is `undefined` counts as absent.
pub(super) fn read_packet(input: Bytes) -> Result<Fields, Error> {
    let mut r = Reader { input, pos: 0 };
    let marker = r.u8()?;
    let len = match marker {
        0x80..=0x8f => usize::from(marker & 0x0f),
        0xde => r.uint(2)?,
        0xdf => r.uint(4)?,
        _ => return Err(Error::InvalidMsgpack("a packet must be a map")),
    };
    let (mut type_id, mut nsp, mut id, mut data) = (None, None, None, None);
    for _ in 0..len {
        let key = match r.read_item(1)? {
            Item::Value(Value::String(key)) => key,
            _ => return Err(Error::InvalidMsgpack("map keys must be strings")),
        };
        let Item::Value(value) = r.read_item(1)? else {
            continue;
        };
        match (key.as_str(), value) {
            ("type", Value::Number(n)) => {
                type_id = Some(
                    integer(&n)
                        .and_then(|t| u8::try_from(t).ok())
                        .ok_or_else(|| unknown_type(&n))?,
                )
            }
            ("type", other) => return Err(Error::UnknownPacketType(format!("{other:?}"))),
            ("nsp", Value::String(s)) => nsp = Some(Str::from(s)),
            ("nsp", _) => return Err(Error::InvalidNamespace),
            ("id", Value::Number(n)) => id = Some(integer(&n).ok_or(Error::InvalidAckId)?),
            ("id", _) => return Err(Error::InvalidAckId),
            ("data", value) => data = Some(value),
            _ => {}
        }
    }
    if r.pos != r.input.len() {
        return Err(Error::InvalidMsgpack("trailing bytes"));
    }
    let type_id = type_id.ok_or_else(|| Error::UnknownPacketType("none".into()))?;
    Ok(Fields {
        type_id,
        nsp: nsp.ok_or(Error::InvalidNamespace)?,
        id,
        data,
    })
}

fn unknown_type(n: &serde_json::Number) -> Error {
    Error::UnknownPacketType(n.to_string())
}

/// A non-negative integer, also from a float with an integral value (as
/// `Number.isInteger` accepts).
fn integer(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 18_446_744_073_709_551_616.0)
            .map(|f| f as u64)
    })
}

enum Item {
    Value(Value),
    /// JavaScript's `undefined` (fixext 1, type 0).
    Undefined,
}

struct Reader {
    input: Bytes,
    pos: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<Bytes, Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or(TRUNCATED)?;
        let bytes = self.input.slice(self.pos..end);
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        let b = *self.input.get(self.pos).ok_or(TRUNCATED)?;
        self.pos += 1;
        Ok(b)
    }

    /// A big-endian unsigned integer of `n` bytes (1, 2, 4 or 8).
    fn uint(&mut self, n: usize) -> Result<usize, Error> {
        let v = self.u64(n)?;
        usize::try_from(v).map_err(|_| TRUNCATED)
    }

    fn u64(&mut self, n: usize) -> Result<u64, Error> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |v, &b| v << 8 | u64::from(b)))
    }

    fn string(&mut self, len: usize) -> Result<Value, Error> {
        let bytes = self.take(len)?;
        let s = std::str::from_utf8(&bytes)
            .map_err(|_| Error::InvalidMsgpack("invalid UTF-8 in a string"))?;
        Ok(Value::String(s.to_owned()))
    }

    fn ext(&mut self, len: usize, fixed: bool) -> Result<Item, Error> {
        let ext_type = self.u8()? as i8;
        let data = self.take(len)?;
        Ok(Item::Value(match (ext_type, len) {
            // notepack: fixext 1 of type 0 is `undefined`, fixext 8 of type 0
            // a `Date` (milliseconds since the epoch), other type 0 an
            // `ArrayBuffer`.
            (0, 1) if fixed => return Ok(Item::Undefined),
            (0, 8) if fixed => {
                let hi = i64::from(i32::from_be_bytes([data[0], data[1], data[2], data[3]]));
                let lo = i64::from(u32::from_be_bytes([data[4], data[5], data[6], data[7]]));
                Value::from(hi * (1 << 32) + lo)
            }
            (0, _) => Value::Binary(data),
            // notepack 3: a `Date` is the timestamp extension; it becomes
            // what JSON makes of a Date, its ISO 8601 string.
            (-1, 4 | 8 | 12) => {
                Value::String(JsDate::from_millis(timestamp_ms(&data)).to_iso_string())
            }
            (t, _) => Value::Array(vec![Value::from(i64::from(t)), Value::Binary(data)]),
        }))
    }

    fn read_item(&mut self, depth: usize) -> Result<Item, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::InvalidMsgpack("nested too deeply"));
        }
        let marker = self.u8()?;
        let value = match marker {
            0x00..=0x7f => Value::from(u64::from(marker)),
            0x80..=0x8f => self.map(usize::from(marker & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(marker & 0x0f), depth)?,
            0xa0..=0xbf => self.string(usize::from(marker & 0x1f))?,
            0xc0 => Value::Null,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let len = self.uint(1 << (marker - 0xc4))?;
                Value::Binary(self.take(len)?)
            }
            0xc7..=0xc9 => {
                let len = self.uint(1 << (marker - 0xc7))?;
                return self.ext(len, false);
            }
            0xca => float(f64::from(f32::from_bits(self.u64(4)? as u32))),
            0xcb => float(f64::from_bits(self.u64(8)?)),
            0xcc..=0xcf => Value::from(self.u64(1 << (marker - 0xcc))?),
            0xd0 => Value::from(i64::from(self.u64(1)? as u8 as i8)),
            0xd1 => Value::from(i64::from(self.u64(2)? as u16 as i16)),
            0xd2 => Value::from(i64::from(self.u64(4)? as u32 as i32)),
            0xd3 => Value::from(self.u64(8)? as i64),
            0xd4..=0xd8 => return self.ext(1 << (marker - 0xd4), true),
            0xd9..=0xdb => {
                let len = self.uint(1 << (marker - 0xd9))?;
                self.string(len)?
            }
            0xdc | 0xdd => {
                let len = self.uint(2 << (marker - 0xdc))?;
                self.array(len, depth)?
            }
            0xde | 0xdf => {
                let len = self.uint(2 << (marker - 0xde))?;
                self.map(len, depth)?
            }
            0xe0..=0xff => Value::from(i64::from(marker as i8)),
            0xc1 => return Err(Error::InvalidMsgpack("the marker 0xc1 is never used")),
        };
        Ok(Item::Value(value))
    }

    /// Items within containers: `undefined` becomes `null`, as it does when
    /// JavaScript serialises an array.
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        Ok(match self.read_item(depth)? {
            Item::Value(v) => v,
            Item::Undefined => Value::Null,
        })
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, Error> {
        // Every item takes at least one byte: never trust `len` further.
        let mut items = Vec::with_capacity(len.min(self.input.len() - self.pos));
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, Error> {
        let mut object = ObjectBuilder::with_capacity(len.min(self.input.len() - self.pos));
        for _ in 0..len {
            // notepack turns any key into a property name; we take strings
            // and numbers.
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => return Err(Error::InvalidMsgpack("map keys must be strings")),
            };
            let value = self.value(depth + 1)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object.finish()))
    }
}

const TRUNCATED: Error = Error::InvalidMsgpack("truncated input");

/// Non-finite floats have no JSON form; they become `null`.
/// The milliseconds since the epoch of a msgpack timestamp (4, 8 or 12
/// bytes: seconds; nanoseconds and seconds in 30 + 34 bits; nanoseconds
/// then signed seconds).
fn timestamp_ms(data: &[u8]) -> i64 {
    let be = |bytes: &[u8]| bytes.iter().fold(0u64, |v, &b| v << 8 | u64::from(b));
    let (seconds, nanos) = match data.len() {
        4 => (be(data) as i64, 0),
        8 => {
            let v = be(data);
            ((v & 0x3_ffff_ffff) as i64, (v >> 34) as i64)
        }
        _ => (be(&data[4..12]) as i64, be(&data[..4]) as i64),
    };
    seconds
        .saturating_mul(1000)
        .saturating_add(nanos / 1_000_000)
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

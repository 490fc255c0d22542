//! [`Value`]: the data of a Socket.IO packet, JSON extended with binary.
//!
//! Socket.IO payloads are JSON values in which any node may be a binary
//! blob (a Node `Buffer`, a browser `ArrayBuffer`). On the wire the JSON
//! format replaces each blob by a `{"_placeholder":true,"num":N}` object and
//! sends the blobs as attachments, while msgpack carries them inline; in
//! memory both become [`Value::Binary`], so a decoded packet can be
//! forwarded or broadcast without being parsed again.
//!
//! Typed payloads go through serde: [`to_value`] turns any `Serialize` type
//! into a `Value` (fields of type [`bytes::Bytes`] or `serde_bytes` become
//! [`Value::Binary`]), and [`from_value`] turns a `Value` back into any
//! `Deserialize` type.

mod date;
mod de;
mod ser;

use bytes::Bytes;
pub use serde_json::Number;

pub use date::JsDate;
pub use de::from_value;
#[cfg(feature = "msgpack")]
pub(crate) use de::ObjectBuilder;
pub use ser::to_value;

/// A JSON value in which any node may also be binary data.
///
/// Objects keep the order of their keys, as JavaScript objects do, so that a
/// packet re-encoded by this crate has the bytes that Node would produce.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// JSON `null` (also what JavaScript's `undefined` becomes).
    #[default]
    Null,
    /// JSON `true` or `false`.
    Bool(bool),
    /// A JSON number: an unsigned, a signed or a floating-point number.
    Number(Number),
    /// A JSON string.
    String(String),
    /// Binary data: an attachment in the JSON format, `bin` in msgpack.
    Binary(Bytes),
    /// A JSON array.
    Array(Vec<Self>),
    /// A JSON object, its keys unique and in insertion order.
    Object(Vec<(String, Self)>),
}

impl Value {
    /// The value under `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Self::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a [`Value::Binary`].
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Self::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this value holds binary data at any depth.
    pub fn has_binary(&self) -> bool {
        match self {
            Self::Binary(_) => true,
            Self::Array(items) => items.iter().any(Self::has_binary),
            Self::Object(entries) => entries.iter().any(|(_, v)| v.has_binary()),
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Self {
        Self::Binary(b)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Self::Number(n.into())
    }
}

impl From<Vec<Self>> for Value {
    fn from(items: Vec<Self>) -> Self {
        Self::Array(items)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(b),
            serde_json::Value::Number(n) => Self::Number(n),
            serde_json::Value::String(s) => Self::String(s),
            serde_json::Value::Array(a) => Self::Array(a.into_iter().map(Self::from).collect()),
            serde_json::Value::Object(o) => {
                Self::Object(o.into_iter().map(|(k, v)| (k, Self::from(v))).collect())
            }
        }
    }
}

/// An object from `(key, value)` pairs, for tests.
#[cfg(test)]
pub(crate) fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

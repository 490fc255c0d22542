//! Deserialization: `Deserialize for Value` (how JSON text becomes a
//! [`Value`]) and `Deserializer for Value` (how a [`Value`] becomes the
//! caller's own type, see [`from_value`]).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use serde::de::value::SeqDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::{Number, Value};
use crate::Error;

/// Objects with more entries than this get a hash index while being built,
/// so that a huge object with many keys is not built in quadratic time.
const INDEX_THRESHOLD: usize = 16;

/// Builds the entries of a [`Value::Object`]: keys stay in the order they
/// were first seen, and a repeated key replaces the earlier value in place
/// (what JavaScript's `JSON.parse` does).
pub(crate) struct ObjectBuilder {
    entries: Vec<(String, Value)>,
    index: Option<HashMap<String, usize>>,
}

impl ObjectBuilder {
    /// An empty builder with room for about `capacity` entries.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity.min(4096)),
            index: None,
        }
    }

    /// Adds `key`, or replaces its value if it is already there.
    pub(crate) fn insert(&mut self, key: String, value: Value) {
        if let Some(index) = &mut self.index {
            match index.entry(key) {
                Entry::Occupied(slot) => {
                    if let Some(entry) = self.entries.get_mut(*slot.get()) {
                        entry.1 = value;
                    }
                }
                Entry::Vacant(slot) => {
                    let key = slot.key().clone();
                    slot.insert(self.entries.len());
                    self.entries.push((key, value));
                }
            }
            return;
        }
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = value;
            return;
        }
        self.entries.push((key, value));
        if self.entries.len() > INDEX_THRESHOLD {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            self.index = Some(index);
        }
    }

    /// The entries, in order.
    pub(crate) fn finish(self) -> Vec<(String, Value)> {
        self.entries
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Accepts anything a self-describing format can hold.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value or binary data")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Number::from_i128(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Number::from_u128(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::from(v)))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = ObjectBuilder::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(Value::Object(object.finish()))
    }
}

/// Turns a [`Value`] into any type that implements `Deserialize`.
///
/// Binary data can become a [`bytes::Bytes`], a `serde_bytes` field or a
/// `Vec<u8>`; numbers become any numeric type they fit in. A value of the
/// wrong shape gives [`Error::Deserialize`].
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

/// How a value shows up in "invalid type" error messages.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (None, Some(i), _) => Unexpected::Signed(i),
            (None, None, Some(f)) => Unexpected::Float(f),
            (None, None, None) => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Binary(b) => Unexpected::Bytes(b),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, Error> {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => visitor.visit_u64(u),
        (None, Some(i), _) => visitor.visit_i64(i),
        (None, None, Some(f)) => visitor.visit_f64(f),
        (None, None, None) => Err(Error::custom("unsupported number")),
    }
}

/// Visits the items of an array (or the bytes of binary data) as a sequence.
fn visit_items<'de, I, V>(items: I, visitor: V) -> Result<V::Value, Error>
where
    I: Iterator,
    I::Item: IntoDeserializer<'de, Error>,
    V: Visitor<'de>,
{
    let mut seq = SeqDeserializer::new(items);
    let out = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(out)
}

fn visit_object<'de, V: Visitor<'de>>(
    entries: Vec<(String, Value)>,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut map = ObjectAccess {
        entries: entries.into_iter(),
        value: None,
    };
    let out = visitor.visit_map(&mut map)?;
    match map.entries.len() {
        0 => Ok(out),
        rest => Err(Error::invalid_length(rest, &"fewer elements in map")),
    }
}

/// Bytes out of an array of integers from 0 to 255, if it is one.
fn array_to_bytes(items: &[Value]) -> Option<Vec<u8>> {
    items
        .iter()
        .map(|item| match item {
            Value::Number(n) => n.as_u64().and_then(|u| u8::try_from(u).ok()),
            _ => None,
        })
        .collect()
}

impl<'de> Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Self::Null => visitor.visit_unit(),
            Self::Bool(b) => visitor.visit_bool(b),
            Self::Number(n) => visit_number(&n, visitor),
            Self::String(s) => visitor.visit_string(s),
            Self::Binary(b) => visitor.visit_byte_buf(b.to_vec()),
            Self::Array(items) => visit_items(items.into_iter(), visitor),
            Self::Object(entries) => visit_object(entries, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Self::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (variant, content) = match self {
            Self::String(variant) => (variant, None),
            Self::Object(entries) => {
                let mut entries = entries.into_iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, content)), None) => (variant, Some(content)),
                    _ => {
                        return Err(Error::invalid_value(
                            Unexpected::Map,
                            &"a map with a single key",
                        ))
                    }
                }
            }
            other => {
                return Err(Error::invalid_type(
                    unexpected(&other),
                    &"a string or a map",
                ))
            }
        };
        visitor.visit_enum(Enum { variant, content })
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Self::Binary(b) => visitor.visit_byte_buf(b.to_vec()),
            Self::String(s) => visitor.visit_byte_buf(s.into_bytes()),
            Self::Array(items) => match array_to_bytes(&items) {
                Some(bytes) => visitor.visit_byte_buf(bytes),
                None => Err(Error::invalid_value(Unexpected::Seq, &visitor)),
            },
            other => Err(Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            // A plain `Vec<u8>` (or `[u8; N]`) can be read from binary data.
            Self::Binary(b) => visit_items(b.into_iter(), visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        drop(self);
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier
    }
}

impl IntoDeserializer<'_, Error> for Value {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Walks the entries of an object.
struct ObjectAccess {
    entries: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for ObjectAccess {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(KeyDeserializer(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An object key: a string, which can also be read as a number or a bool
/// (so that a `HashMap<u32, _>` works, as with serde_json).
struct KeyDeserializer(String);

macro_rules! parse_key {
    ($($method:ident => $visit:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match self.0.parse() {
                    Ok(parsed) => visitor.$visit(parsed),
                    Err(_) => visitor.visit_string(self.0),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for KeyDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.0)
    }

    parse_key! {
        deserialize_bool => visit_bool,
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_i128 => visit_i128,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_u128 => visit_u128,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(Enum {
            variant: self.0,
            content: None,
        })
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

/// An enum: the variant name and, unless it is a unit variant, its content.
struct Enum {
    variant: String,
    content: Option<Value>,
}

impl<'de> EnumAccess<'de> for Enum {
    type Error = Error;
    type Variant = Variant;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Variant), Error> {
        let variant = seed.deserialize(KeyDeserializer(self.variant))?;
        Ok((variant, Variant(self.content)))
    }
}

/// The content of an enum variant, `None` for a unit variant given as a string.
struct Variant(Option<Value>);

impl<'de> VariantAccess<'de> for Variant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Some(content) => de::Deserialize::deserialize(content),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        match self.0 {
            Some(content) => seed.deserialize(content),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Some(content) => content.deserialize_any(visitor),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Some(content) => content.deserialize_any(visitor),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

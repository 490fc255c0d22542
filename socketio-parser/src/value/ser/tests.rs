use std::collections::HashMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;
use crate::from_value;

fn obj(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    data: Bytes,
    #[serde(with = "serde_bytes")]
    thumb: Vec<u8>,
    size: Option<u32>,
    note: Option<String>,
}

#[test]
fn bytes_and_serde_bytes_fields_become_binary_and_round_trip() {
    let up = Upload {
        name: "a.png".into(),
        data: Bytes::from_static(b"\x89PNG"),
        thumb: vec![0, 1, 2],
        size: Some(4),
        note: None,
    };
    let v = to_value(&up).unwrap();
    assert_eq!(
        v.get("data"),
        Some(&Value::Binary(Bytes::from_static(b"\x89PNG")))
    );
    assert_eq!(
        v.get("thumb"),
        Some(&Value::Binary(Bytes::from_static(&[0, 1, 2])))
    );
    assert_eq!(v.get("size"), Some(&Value::from(4u64)));
    assert_eq!(v.get("note"), Some(&Value::Null));
    assert_eq!(from_value::<Upload>(v), Ok(up));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Kind {
    Unit,
    Newtype(i32),
    Tuple(u8, String),
    Struct { x: f64, flag: bool },
}

#[test]
fn enums_of_all_four_kinds_are_externally_tagged_and_round_trip() {
    let cases = [
        (Kind::Unit, r#""Unit""#),
        (Kind::Newtype(-3), r#"{"Newtype":-3}"#),
        (Kind::Tuple(1, "a".into()), r#"{"Tuple":[1,"a"]}"#),
        (
            Kind::Struct { x: 0.5, flag: true },
            r#"{"Struct":{"x":0.5,"flag":true}}"#,
        ),
    ];
    for (kind, json) in cases {
        let v = to_value(&kind).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), json);
        assert_eq!(from_value::<Kind>(v), Ok(kind));
    }
}

#[test]
fn hashmap_round_trips_and_integer_keys_become_strings() {
    let m = HashMap::from([("a".to_owned(), 1), ("b".to_owned(), -2)]);
    assert_eq!(
        from_value::<HashMap<String, i32>>(to_value(&m).unwrap()),
        Ok(m)
    );
    let v = to_value(&HashMap::from([(7u8, 'c')])).unwrap();
    assert_eq!(v, obj(vec![("7", "c".into())]));
    let v = to_value(&HashMap::from([('k', ())])).unwrap();
    assert_eq!(v, obj(vec![("k", Value::Null)]));
    assert!(matches!(
        to_value(&HashMap::from([((1, 2), 3)])),
        Err(Error::Serialize(_))
    ));
}

#[test]
fn repeated_map_key_replaces_in_place() {
    let pairs = [("a", 1), ("b", 2), ("a", 3)];
    struct Pairs<'a>(&'a [(&'a str, i32)]);
    impl Serialize for Pairs<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().copied())
        }
    }
    let v = to_value(&Pairs(&pairs)).unwrap();
    assert_eq!(v, obj(vec![("a", 3u64.into()), ("b", 2u64.into())]));
}

#[test]
fn non_finite_float_serializes_to_null() {
    assert_eq!(to_value(&f64::NAN), Ok(Value::Null));
    assert_eq!(to_value(&f64::INFINITY), Ok(Value::Null));
    assert_eq!(to_value(&f32::NEG_INFINITY), Ok(Value::Null));
    assert_eq!(
        to_value(&1.1f32),
        Ok(Value::Number(Number::from_f64(1.1).unwrap()))
    );
}

#[test]
fn integers_and_chars_and_units() {
    assert_eq!(to_value(&-1i128), Ok((-1i64).into()));
    assert_eq!(to_value(&u128::from(u64::MAX)), Ok(u64::MAX.into()));
    assert!(matches!(to_value(&u128::MAX), Err(Error::Serialize(_))));
    assert!(matches!(to_value(&i128::MIN), Err(Error::Serialize(_))));
    assert_eq!(to_value(&'x'), Ok("x".into()));
    assert_eq!(to_value(&()), Ok(Value::Null));
    assert_eq!(to_value(&Some(Some(2u8))), Ok(2u64.into()));
}

#[test]
fn value_serializes_like_json_keeping_key_order() {
    let json = r#"{"z":1,"a":[null,1.5,-2,"s",{}],"m":true}"#;
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&v).unwrap(), json);
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number().prop_map(Value::Number),
        ".{0,8}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| Value::Binary(b.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().rev().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_value_survives_to_value_and_from_value(v in arb_value()) {
        prop_assert_eq!(to_value(&v), Ok(v.clone()));
        prop_assert_eq!(from_value::<Value>(v.clone()), Ok(v));
    }
}

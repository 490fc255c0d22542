use std::collections::HashMap;

use super::*;
use crate::value::obj;

fn de_err<T>(result: Result<T, Error>) -> bool {
    matches!(result, Err(Error::Deserialize(_)))
}

#[test]
fn repeated_key_keeps_first_position_and_last_value() {
    let v: Value = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(v, obj(&[("a", 3u64.into()), ("b", 2u64.into())]));
}

#[test]
fn object_with_50_000_keys_decodes() {
    let body: Vec<String> = (0..50_000).map(|i| format!("\"key{i}\":{i}")).collect();
    // A repeated key past the indexing threshold keeps its first position.
    let json = format!("{{{},\"key3\":\"last\"}}", body.join(","));
    let v: Value = serde_json::from_slice(json.as_bytes()).unwrap();
    let Value::Object(entries) = v else {
        panic!("not an object")
    };
    assert_eq!(entries.len(), 50_000);
    assert_eq!(entries[3], ("key3".to_owned(), "last".into()));
    assert_eq!(entries[49_999], ("key49999".to_owned(), 49_999u64.into()));
}

#[test]
fn json_scalars_and_containers_decode() {
    let v: Value = serde_json::from_str("[1, -2, 1.5, \"x\", null, true, {}]").unwrap();
    let expected = Value::Array(vec![
        1u64.into(),
        (-2i64).into(),
        Value::Number(Number::from_f64(1.5).unwrap()),
        "x".into(),
        Value::Null,
        true.into(),
        Value::Object(vec![]),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn json_accepts_what_serde_json_accepts() {
    for json in [
        "[18446744073709551615, -9223372036854775808]",
        "1e400",
        "-0",
        "\"\\u00e9\"",
    ] {
        let ours = serde_json::from_str::<Value>(json);
        let theirs = serde_json::from_str::<serde_json::Value>(json);
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{json}");
        if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
            assert_eq!(ours, Value::from(theirs));
        }
    }
}

#[test]
fn tuple_with_bytes_from_array() {
    let v = Value::Array(vec![
        "ev".into(),
        7u64.into(),
        Bytes::from_static(b"\x01\x02").into(),
    ]);
    let t: (String, u32, Bytes) = from_value(v).unwrap();
    assert_eq!(t, ("ev".to_owned(), 7, Bytes::from_static(b"\x01\x02")));
}

#[test]
fn bytes_from_string_and_integer_array() {
    let b: serde_bytes::ByteBuf = from_value("hi".into()).unwrap();
    assert_eq!(b.as_slice(), b"hi");
    let b: Bytes = from_value(Value::Array(vec![1u64.into(), 255u64.into()])).unwrap();
    assert_eq!(&b[..], &[1, 255]);
    let r: Result<Bytes, _> = from_value(Value::Array(vec![256u64.into()]));
    assert!(de_err(r));
}

#[test]
fn numbers_fit_any_numeric_type() {
    assert_eq!(from_value::<u8>(5u64.into()), Ok(5));
    assert_eq!(from_value::<i32>((-5i64).into()), Ok(-5));
    assert_eq!(from_value::<f64>(5u64.into()), Ok(5.0));
    assert!(de_err(from_value::<u8>(300u64.into())));
}

#[test]
fn integer_map_keys_are_parsed() {
    let v = obj(&[("1", 10u64.into()), ("2", 20u64.into())]);
    let m: HashMap<u32, i32> = from_value(v).unwrap();
    assert_eq!(m, HashMap::from([(1, 10), (2, 20)]));
}

#[test]
fn mismatched_type_is_a_deserialize_error() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct S {
        a: u32,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    enum E {
        A,
        B(u8),
    }
    let bad = [
        Value::Null,
        "x".into(),
        Value::Array(vec![true.into()]),
        obj(&[("a", "no".into())]),
        Value::Binary(Bytes::new()),
    ];
    for v in bad {
        assert!(de_err(from_value::<S>(v.clone())));
        assert!(de_err(from_value::<(u8, u8)>(v.clone())));
        assert!(de_err(from_value::<E>(v)));
    }
    let two = obj(&[("A", Value::Null), ("B", 1u64.into())]);
    assert!(de_err(from_value::<E>(two)));
    assert!(de_err(from_value::<E>(obj(&[("A", 1u64.into())]))));
}

#[test]
fn ignored_any_and_unknown_fields_are_skipped() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct S {
        a: u32,
    }
    let v = obj(&[("x", Value::Array(vec![Value::Null])), ("a", 1u64.into())]);
    assert_eq!(from_value::<S>(v.clone()), Ok(S { a: 1 }));
    assert!(from_value::<de::IgnoredAny>(v).is_ok());
}

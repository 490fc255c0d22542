//! [`Value`] to JSON text, byte for byte as JavaScript's `JSON.stringify`
//! writes it, with binary nodes replaced by attachment placeholders.

use bytes::{BufMut, Bytes};

use crate::Value;

/// Writes `value` as JSON into `out`.
///
/// With `attachments`, each [`Value::Binary`] becomes
/// `{"_placeholder":true,"num":N}` and its bytes are pushed there (shared,
/// not copied), in document order, as socket.io-parser does for EVENT and
/// ACK. Without, binary is written as `JSON.stringify` writes a Node
/// `Buffer`: `{"type":"Buffer","data":[1,2,3]}`.
pub(crate) fn write_value<B: BufMut>(
    value: &Value,
    out: &mut B,
    mut attachments: Option<&mut Vec<Bytes>>,
) {
    match value {
        Value::Null => out.put_slice(b"null"),
        Value::Bool(true) => out.put_slice(b"true"),
        Value::Bool(false) => out.put_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Binary(data) => match attachments {
            Some(attachments) => {
                out.put_slice(b"{\"_placeholder\":true,\"num\":");
                write_u64(attachments.len() as u64, out);
                out.put_u8(b'}');
                attachments.push(data.clone());
            }
            None => {
                out.put_slice(b"{\"type\":\"Buffer\",\"data\":[");
                for (i, byte) in data.iter().enumerate() {
                    if i > 0 {
                        out.put_u8(b',');
                    }
                    write_u64(u64::from(*byte), out);
                }
                out.put_slice(b"]}");
            }
        },
        Value::Array(items) => {
            out.put_u8(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_value(item, out, attachments.as_deref_mut());
            }
            out.put_u8(b']');
        }
        Value::Object(entries) => {
            out.put_u8(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_string(key, out);
                out.put_u8(b':');
                write_value(item, out, attachments.as_deref_mut());
            }
            out.put_u8(b'}');
        }
    }
}

/// Integers as decimal; other numbers as JavaScript's `Number#toString`
/// (so `1.0` is `1` and `1e21` is `1e+21`), since a JS peer has one number type.
fn write_number<B: BufMut>(n: &serde_json::Number, out: &mut B) {
    if let Some(u) = n.as_u64() {
        write_u64(u, out);
    } else if let Some(i) = n.as_i64() {
        out.put_u8(b'-');
        write_u64(i.unsigned_abs(), out);
    } else if let Some(f) = n.as_f64() {
        let mut buf = ryu_js::Buffer::new();
        out.put_slice(buf.format(f).as_bytes());
    }
}

pub(crate) fn write_u64<B: BufMut>(n: u64, out: &mut B) {
    out.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A string with JSON.stringify's escapes: `"`, `\`, the five short forms
/// for control characters, and `\u00XX` (lower-case hex) for the others.
fn write_string<B: BufMut>(s: &str, out: &mut B) {
    out.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.put_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.put_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.put_slice(escape);
        }
        start = i + 1;
    }
    out.put_slice(&bytes[start..]);
    out.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: &Value) -> (String, Vec<Bytes>) {
        let mut out = Vec::new();
        let mut attachments = Vec::new();
        write_value(v, &mut out, Some(&mut attachments));
        (String::from_utf8(out).unwrap(), attachments)
    }

    #[test]
    fn strings_are_escaped_as_json_stringify_does() {
        let v = Value::from("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é€😀/");
        assert_eq!(
            json(&v).0,
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}é€😀/\""
        );
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let n = |f: f64| json(&Value::Number(serde_json::Number::from_f64(f).unwrap())).0;
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.5), "1.5");
        assert_eq!(n(-0.25), "-0.25");
        assert_eq!(n(1e21), "1e+21");
        assert_eq!(n(1e-7), "1e-7");
        assert_eq!(n(0.000001), "0.000001");
        assert_eq!(json(&Value::from(u64::MAX)).0, "18446744073709551615");
        assert_eq!(json(&Value::from(i64::MIN)).0, "-9223372036854775808");
    }

    #[test]
    fn binary_becomes_numbered_placeholders_in_document_order() {
        let a = Bytes::from_static(b"a");
        let b = Bytes::from_static(b"b");
        let v = Value::Array(vec![
            Value::Binary(a.clone()),
            Value::Object(vec![("x".into(), Value::Binary(b.clone()))]),
        ]);
        let (text, attachments) = json(&v);
        assert_eq!(
            text,
            r#"[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]"#
        );
        assert_eq!(attachments, vec![a, b]);
    }

    #[test]
    fn binary_outside_events_is_written_as_node_writes_a_buffer() {
        let mut out = Vec::new();
        write_value(
            &Value::Binary(Bytes::from_static(&[1, 2, 255])),
            &mut out,
            None,
        );
        assert_eq!(out, br#"{"type":"Buffer","data":[1,2,255]}"#);
    }
}

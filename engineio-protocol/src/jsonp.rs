//! JSONP polling, which Node's engine.io still serves to old browsers that
//! have neither XHR2 nor WebSocket (the `j` query parameter).
//!
//! The response is a script, `___eio[<j>]("<payload as a JS string>");`,
//! and the client posts its payload as a form, `d=<payload>`, with newlines
//! escaped. The payload inside is a text payload (binary as base64).

use crate::query::pairs;

/// The Content-Type of a JSONP response.
pub const CONTENT_TYPE: &str = "text/javascript; charset=UTF-8";

/// Wraps a text payload in the JSONP callback `index`.
///
/// The string is quoted as `JSON.stringify` quotes it, and U+2028 and U+2029
/// are escaped too: they are valid in JSON but end a line in JavaScript.
pub fn wrap(index: u32, payload: &str) -> String {
    // Serializing a `str` cannot fail.
    let quoted = serde_json::to_string(payload).unwrap_or_default();
    let quoted = quoted
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("___eio[{index}]({quoted});")
}

/// The payload of a JSONP POST body (`d=...`, form-encoded), or `None` if
/// the body has no `d` field.
///
/// The client escapes newlines as `\n` and a literal `\n` as `\\n`; this
/// undoes both, as Node's engine.io does.
pub fn unwrap_body(form: &str) -> Option<String> {
    let (_, data) = pairs(form).find(|(k, _)| k == "d")?;
    let mut out = String::with_capacity(data.len());
    let mut rest = &*data;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("\\\\n") {
            out.push_str("\\n");
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("\\n") {
            out.push('\n');
            rest = tail;
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_a_callback_with_a_quoted_payload() {
        assert_eq!(wrap(0, "4hello"), r#"___eio[0]("4hello");"#);
        assert_eq!(
            wrap(12, "6:4\"a\"\n2:4\u{2028}"),
            r#"___eio[12]("6:4\"a\"\n2:4\u2028");"#
        );
    }

    #[test]
    fn bodies_unescape_newlines_as_node_does() {
        assert_eq!(unwrap_body("d=6%3A4hello").as_deref(), Some("6:4hello"));
        // `\n` is a newline; `\\n` is a literal backslash-n.
        assert_eq!(unwrap_body(r"d=4a\nb").as_deref(), Some("4a\nb"));
        assert_eq!(unwrap_body(r"d=4a\\nb").as_deref(), Some(r"4a\nb"));
        assert_eq!(unwrap_body("d=a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(unwrap_body("x=1"), None);
    }
}

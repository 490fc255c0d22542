//! Support for the interop tests: runs the real JavaScript implementations
//! from npm (installed in `interop/node_modules` by `npm ci --prefix
//! interop`, which `scripts/test.sh` does) and converts what they print.
//!
//! The shared cases live in `interop/cases.json`; `interop/codec.js` encodes
//! them with `engine.io-parser`, `socket.io-parser` and
//! `socket.io-msgpack-parser`, and the tests in `interop/tests/` check that
//! our codecs produce the same bytes and read theirs.
//!
//! ```no_run
//! let output = interop::run_node_script("codec.js");
//! assert!(output["engineio"].is_array());
//! ```

use std::path::PathBuf;
use std::process::Command;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
mod redis;

pub use redis::{until_cluster_of, RedisServer};

use bytes::Bytes;
use engineio_protocol::{Message, Str};
use serde_json::Value as Json;
use socketio_parser::Value;

/// The `interop/` directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `node interop/<script>` and parses the JSON it prints.
///
/// # Panics
///
/// Panics, naming the fix, when Node or the npm packages are missing: an
/// interop test that cannot reach its peer fails rather than passes.
pub fn run_node_script(script: &str) -> Json {
    assert!(
        dir().join("node_modules").is_dir(),
        "interop/node_modules is missing: run `npm ci --prefix interop` (scripts/test.sh does)"
    );
    let output = Command::new("node")
        .arg(dir().join(script))
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    assert!(
        output.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("node printed no JSON: {e}"))
}

/// Runs `node interop/<script> <args...>`, a real npm client driving one of
/// our servers, and returns the JSON it printed of what it saw.
///
/// Blocking: call it from `tokio::task::spawn_blocking` while the server
/// runs.
///
/// # Panics
///
/// Panics, naming `scenario`, when the npm packages are missing, when the
/// script prints no JSON, or when it fails (it exits non-zero on its own
/// timeout, after printing what it saw so far).
pub fn run_node_client(scenario: &str, script: &str, args: &[String]) -> Json {
    assert!(
        dir().join("node_modules").is_dir(),
        "interop/node_modules is missing: run `npm ci --prefix interop` (scripts/test.sh does)"
    );
    let output = Command::new("node")
        .arg(dir().join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let seen: Json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{scenario}: node printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(output.status.success(), "{scenario}: timed out: {seen}");
    seen
}

/// The shared case list, `interop/cases.json`.
pub fn cases() -> Json {
    let text = std::fs::read_to_string(dir().join("cases.json"))
        .unwrap_or_else(|e| panic!("cases.json: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cases.json: {e}"))
}

/// Decodes base64, expanding `REPEAT:<base64>:<n>` as `codec.js` does.
pub fn bin(b64: &str) -> Bytes {
    if let Some(rest) = b64.strip_prefix("REPEAT:") {
        let (chunk, n) = rest.rsplit_once(':').unwrap_or((rest, "1"));
        return bin(chunk).repeat(n.parse().unwrap_or(1)).into();
    }
    BASE64
        .decode(b64)
        .unwrap_or_else(|e| panic!("bad base64 {b64:?}: {e}"))
        .into()
}

/// Expands `REPEAT_STR:<s>:<n>` as `codec.js` does.
pub fn string(s: &str) -> String {
    match s
        .strip_prefix("REPEAT_STR:")
        .and_then(|r| r.rsplit_once(':'))
    {
        Some((chunk, n)) => chunk.repeat(n.parse().unwrap_or(1)),
        None => s.to_owned(),
    }
}

/// A JSON case value to a [`Value`], `{"$bin": ...}` becoming binary.
pub fn value(json: &Json) -> Value {
    match json {
        Json::Object(map) => match map.get("$bin") {
            Some(Json::String(b64)) if map.len() == 1 => Value::Binary(bin(b64)),
            _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        },
        Json::Array(items) => Value::Array(items.iter().map(value).collect()),
        Json::String(s) => Value::String(string(s)),
        other => Value::from(other.clone()),
    }
}

/// A frame printed by `codec.js` (`{"text": ...}` or `{"bin": ...}`).
pub fn frame(json: &Json) -> Message {
    match (json.get("text"), json.get("bin")) {
        (Some(Json::String(t)), _) => Message::Text(Str::from(t.as_str())),
        (_, Some(Json::String(b))) => Message::Binary(bin(b)),
        _ => panic!("not a frame: {json}"),
    }
}

/// The README's code examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

//! `examples/chat_port.rs`, the ported Node chat app, run as written (its
//! source is this test's module) against the real `socket.io-client` 4.x
//! (`interop/chat_client.js`).
#![allow(clippy::unwrap_used)]

use serde_json::json;

#[path = "../../examples/examples/chat_port.rs"]
#[allow(dead_code)]
mod chat_port;

#[test]
fn the_ported_chat_app_works_with_the_real_client() {
    let addr = examples::run_in_background(chat_port::main);
    let url = format!("http://{addr}");
    let seen = interop::run_node_client("chat_port", "chat_client.js", &[url]);
    assert_eq!(
        seen,
        json!({
            "refused": "no token",
            "whoami": true,
            "heard": [[true, "hi", 1]],
            "senderHeard": [],
            "stats": 1,
            "page": true,
            "bundle": 200,
        })
    );
}

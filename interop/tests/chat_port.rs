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
    // The app listens on $PORT: pick a free one.
    // The app listens on $PORT: 0, any free port; it says which.
    std::env::set_var("PORT", "0");
    std::thread::spawn(|| {
        let _ = chat_port::main();
    });
    let addr = (0..1000)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            examples::listening_addr()
        })
        .expect("the app listens");
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

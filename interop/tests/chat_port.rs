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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::env::set_var("PORT", port.to_string());
    std::thread::spawn(|| {
        let _ = chat_port::main();
    });
    let url = format!("http://127.0.0.1:{port}");
    // Wait until it listens.
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
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

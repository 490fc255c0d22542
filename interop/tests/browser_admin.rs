//! The official admin UI (`@socket.io/admin-ui` 0.5.1, its built files
//! served by the chat demo at `/admin-ui/`) in headless Chromium, driven by
//! playwright-core (`interop/browser_admin.js`), against the demo run as
//! written: the UI refuses a wrong password, logs in, lists the server, a
//! chat user's socket, its room and its events, makes it join a room and
//! disconnects it. Screenshots go to `target/artifacts/`.
#![allow(clippy::unwrap_used)]

use serde_json::json;

#[path = "../../examples/examples/chat.rs"]
mod chat;

#[test]
fn the_admin_ui_watches_and_acts_on_the_chat() {
    std::env::set_var("ADMIN_PASSWORD", "admin-ui-test");
    let addr = examples::run_in_background(chat::main);
    let shots = interop::dir().join("../target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let args = [
        format!("http://{addr}/"),
        "admin-ui-test".to_owned(),
        shots.display().to_string(),
    ];
    let seen = interop::run_node_client("admin UI", "browser_admin.js", &args);
    assert_eq!(seen["errors"], json!([]), "{seen}");
    assert_eq!(
        seen["steps"],
        json!([
            "wrong password refused",
            "logged in",
            "server listed",
            "socket listed",
            "room listed",
            "events listed",
            "joined vip from the UI",
            "disconnected from the UI"
        ]),
        "{seen}"
    );
    assert_eq!(
        seen["chatDisconnectReason"], "io server disconnect",
        "{seen}"
    );
    assert!(shots.join("admin-ui-dashboard.png").is_file());
    assert!(shots.join("admin-ui-socket.png").is_file());
    println!("screenshots: {}", shots.display());

    // The demo's Prometheus endpoint counted what the browsers did.
    let metrics = http_get(addr, "/metrics");
    for line in [
        r#"socketio_connections_total{namespace="/"} 1"#,
        r#"socketio_disconnections_total{namespace="/",reason="server namespace disconnect"} 1"#,
        r#"socketio_connections_total{namespace="/admin"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
}

/// A plain HTTP/1.1 GET's body.
fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_once("\r\n\r\n").unwrap().1.to_owned()
}

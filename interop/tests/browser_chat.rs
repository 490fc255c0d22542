//! The demo (`examples/chat.rs`, run as written) in a real browser: two
//! headless Chromium pages driven by playwright-core
//! (`interop/browser_chat.js`) join a room, see each other, see typing and
//! exchange messages. Screenshots go to `target/artifacts/`.
#![allow(clippy::unwrap_used)]

use serde_json::json;

#[path = "../../examples/examples/chat.rs"]
mod chat;

#[test]
fn two_browser_pages_chat() {
    let addr = examples::run_in_background(chat::main);
    let shots = interop::dir().join("../target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let args = [format!("http://{addr}/"), shots.display().to_string()];
    let seen = interop::run_node_client("browser chat", "browser_chat.js", &args);
    assert_eq!(seen["errors"], json!([]), "{seen}");
    assert_eq!(seen["adaUsers"], "ada\nbob", "{seen}");
    assert_eq!(seen["adaTyping"], "bob typing…", "{seen}");
    assert_eq!(
        seen["adaLog"],
        json!(["ada joined", "bob joined", "bob: hello ada", "ada: hi bob"]),
        "{seen}"
    );
    assert_eq!(
        seen["bobLog"],
        json!(["bob joined", "bob: hello ada", "ada: hi bob"]),
        "{seen}"
    );
    assert!(shots.join("chat-ada.png").is_file());
}

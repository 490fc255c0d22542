//! The demo, `examples/chat.rs`, run as written (its source is this test's
//! module) with two users on the real `socket.io-client` 4.x
//! (`interop/chat_demo_client.js`): rooms, history, the user list, typing,
//! messages and system lines.
#![allow(clippy::unwrap_used)]

use serde_json::json;

#[path = "../../examples/examples/chat.rs"]
mod chat;

#[test]
fn two_users_chat_in_a_room() {
    let addr = examples::run_in_background(chat::main);
    let url = format!("http://{addr}");
    let seen = interop::run_node_client("chat demo", "chat_demo_client.js", &[url]);
    let system = |text: &str| json!(["system", {"room": "lobby", "text": text}]);
    let users = |names: &[&str]| json!(["users", {"room": "lobby", "users": names}]);
    let hello = json!({"room": "lobby", "from": "ada", "text": "hello"});
    let hi = json!({"room": "lobby", "from": "bob", "text": "hi ada"});
    assert_eq!(seen["adaJoin"], json!({"history": [], "users": ["ada"]}));
    assert_eq!(
        seen["bobJoin"],
        json!({"history": [hello], "users": ["ada", "bob"]})
    );
    assert_eq!(
        seen["ada"],
        json!([
            system("ada joined"),
            users(&["ada"]),
            ["message", hello],
            system("bob joined"),
            users(&["ada", "bob"]),
            ["typing", {"room": "lobby", "from": "bob", "typing": true}],
            ["message", hi],
            system("bob left"),
            users(&["ada"]),
        ])
    );
    assert_eq!(
        seen["bob"],
        json!([
            system("bob joined"),
            users(&["ada", "bob"]),
            ["message", hi]
        ])
    );
    assert_eq!(seen["page"], json!(true));
}

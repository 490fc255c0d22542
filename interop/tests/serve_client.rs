//! The real `socket.io-client` 4.x package's browser bundle, served by our
//! server from `node_modules` as Node's `serveClient` serves its own copy.
#![allow(clippy::unwrap_used)]

use socketio_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_installed_bundle_is_served_by_default() {
    // The tests run in `interop/`, where `npm ci` installed the client.
    let io = Server::builder().build();
    let bundle = io.client_bundle().expect("found in node_modules").clone();
    assert_eq!(bundle.version(), "4.8.1");
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    for name in [
        "socket.io.js",
        "socket.io.min.js",
        "socket.io.msgpack.min.js",
        "socket.io.esm.min.js.map",
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request =
            format!("GET /socket.io/{name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{name}: {head}");
        assert!(head.contains("etag: \"4.8.1\""), "{name}: {head}");
        let file = interop::dir()
            .join("node_modules/socket.io-client/dist")
            .join(name);
        assert_eq!(
            answer[split + 4..],
            std::fs::read(file).unwrap()[..],
            "{name}"
        );
    }
    io.close().await;
}

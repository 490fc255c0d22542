//! Serving the client bundle (Node's `serveClient`): the files under the
//! server's path, the version as ETag, 304, br/gzip/deflate, 404 when off,
//! and a clear error for a missing package.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::path::PathBuf;

use socketio_server::{ClientBundle, Error, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A package directory laid out as `socket.io-client`'s, version 9.9.9,
/// each file holding its own name.
fn package(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sio-bundle-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"socket.io-client","version":"9.9.9"}"#,
    )
    .unwrap();
    for name in [
        "socket.io.js",
        "socket.io.js.map",
        "socket.io.min.js",
        "socket.io.min.js.map",
        "socket.io.msgpack.min.js",
        "socket.io.msgpack.min.js.map",
        "socket.io.esm.min.js",
        "socket.io.esm.min.js.map",
    ] {
        std::fs::write(
            dir.join("dist").join(name),
            format!("/* {name} */").repeat(50),
        )
        .unwrap();
    }
    dir
}

/// A raw HTTP/1.1 GET: the status, the headers (lowercase names) and the body.
async fn get(addr: std::net::SocketAddr, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, answer[split + 4..].to_vec())
}

/// Reads a compressed body.
type Decoder = fn(&[u8]) -> Box<dyn std::io::Read + '_>;

#[tokio::test]
async fn the_bundle_is_served_as_node_serves_it() {
    let bundle = ClientBundle::from_package_dir(package("served")).unwrap();
    assert_eq!(bundle.version(), "9.9.9");
    let io = Server::builder().serve_client(bundle).build();
    let addr = io.listen("127.0.0.1:0").await.unwrap();

    let (status, head, body) = get(addr, "/socket.io/socket.io.min.js", "").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/javascript; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("etag: \"9.9.9\""), "{head}");
    assert!(head.contains("cache-control: public, max-age=0"), "{head}");
    assert_eq!(body, "/* socket.io.min.js */".repeat(50).into_bytes());
    let (_, head, _) = get(addr, "/socket.io/socket.io.js.map", "").await;
    assert!(
        head.contains("content-type: application/json; charset=utf-8"),
        "{head}"
    );
    // Query strings are ignored, as in Node.
    assert_eq!(get(addr, "/socket.io/socket.io.js?v=1", "").await.0, 200);

    // Not modified: the strong or the weak ETag.
    for etag in ["\"9.9.9\"", "W/\"9.9.9\""] {
        let (status, _, body) = get(
            addr,
            "/socket.io/socket.io.js",
            &format!("If-None-Match: {etag}\r\n"),
        )
        .await;
        assert_eq!((status, body.len()), (304, 0), "{etag}");
    }
    assert_eq!(
        get(
            addr,
            "/socket.io/socket.io.js",
            "If-None-Match: \"1.0.0\"\r\n"
        )
        .await
        .0,
        200
    );

    // Compressed as accepted: br first, then gzip, then deflate.
    let original = "/* socket.io.js */".repeat(50).into_bytes();
    let decoders: [(&str, &str, Decoder); 3] = [
        ("gzip, deflate, br", "br", |b| {
            Box::new(brotli::Decompressor::new(b, 4096))
        }),
        ("gzip;q=1, br;q=0.5", "gzip", |b| {
            Box::new(flate2::read::GzDecoder::new(b))
        }),
        ("deflate", "deflate", |b| {
            Box::new(flate2::read::ZlibDecoder::new(b))
        }),
    ];
    for (accepted, encoding, decoder) in decoders {
        let (_, head, body) = get(
            addr,
            "/socket.io/socket.io.js",
            &format!("Accept-Encoding: {accepted}\r\n"),
        )
        .await;
        assert!(
            head.contains(&format!("content-encoding: {encoding}")),
            "{head}"
        );
        let mut decoded = Vec::new();
        decoder(&body).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, original, "{encoding}");
    }

    // Other names under the path are the engine's: not a file.
    assert_eq!(get(addr, "/socket.io/socket.io.txt", "").await.0, 404);
    // The engine still answers its own requests.
    assert_eq!(
        get(addr, "/socket.io/?EIO=4&transport=polling", "").await.0,
        200
    );
    io.close().await;
}

#[tokio::test]
async fn without_the_bundle_those_paths_are_404() {
    let io = Server::builder().without_client_bundle().build();
    assert!(io.client_bundle().is_none());
    let addr = io.listen("127.0.0.1:0").await.unwrap();
    assert_eq!(get(addr, "/socket.io/socket.io.js", "").await.0, 404);
    io.close().await;
}

#[tokio::test]
async fn a_missing_package_is_a_clear_error_at_start_up() {
    let error = ClientBundle::from_package_dir("/nonexistent/socket.io-client").unwrap_err();
    assert!(
        matches!(&error, Error::ClientBundle(m) if m.contains("/nonexistent/socket.io-client/package.json")),
        "{error}"
    );
    let dir = package("broken");
    std::fs::remove_file(dir.join("dist/socket.io.esm.min.js.map")).unwrap();
    let error = ClientBundle::from_package_dir(&dir).unwrap_err();
    assert!(
        error.to_string().contains("socket.io.esm.min.js.map"),
        "{error}"
    );
}

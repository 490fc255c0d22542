//! HTTPS and WSS with `listen_tls`: a certificate made for the test, a
//! rustls client that trusts only it, polling and WebSocket over TLS.
#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use engineio_server::{Config, Error, Server, TlsConfig};
use futures_util::{SinkExt, StreamExt};
use support::Recorder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_rustls::rustls::{self, pki_types::ServerName};
use tokio_tungstenite::tungstenite;

/// A self-signed certificate for `localhost`: the PEM chain and key.
fn certificate() -> (String, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (cert.cert.pem(), cert.key_pair.serialize_pem())
}

/// A TLS connection to `addr` that trusts `cert` only.
async fn connect(
    addr: std::net::SocketAddr,
    cert: &str,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    connect_alpn(addr, cert, Vec::new()).await
}

/// The same, offering `alpn`.
async fn connect_alpn(
    addr: std::net::SocketAddr,
    cert: &str,
    alpn: Vec<Vec<u8>>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::pem::PemObject::pem_slice_iter(cert.as_bytes()) {
        roots.add(der.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

#[tokio::test]
async fn polling_and_websocket_over_tls() {
    let (cert, key) = certificate();
    let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let (tx, _events) = mpsc::unbounded_channel();
    let server = Server::new(Config::default(), Recorder::new(tx, true));
    let addr = server.listen_tls("127.0.0.1:0", tls).await.unwrap();

    // HTTPS long-polling handshake.
    let mut stream = connect(addr, &cert).await;
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("0{\"sid\""), "{answer}");

    // WSS: the handshake, then an echo.
    let stream = connect(addr, &cert).await;
    let url = format!(
        "wss://localhost:{}/engine.io/?EIO=4&transport=websocket",
        addr.port()
    );
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"));
    ws.send(tungstenite::Message::text("4over tls"))
        .await
        .unwrap();
    let echo = ws.next().await.unwrap().unwrap();
    assert_eq!(echo.to_text().unwrap(), "4over tls");

    // HTTP/2 chosen by ALPN: polling over one multiplexed connection.
    let stream = connect_alpn(addr, &cert, vec![b"h2".to_vec()]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("https://localhost/engine.io/?EIO=4&transport=polling")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let answer = sender.send_request(request).await.unwrap();
    assert_eq!(answer.version(), http::Version::HTTP_2);
    assert_eq!(answer.status(), 200);
    server.close().await;
}

#[tokio::test]
async fn a_bad_certificate_or_key_is_a_clear_error() {
    let (cert, _) = certificate();
    let error = TlsConfig::from_pem(cert.as_bytes(), b"not a key").unwrap_err();
    assert!(
        matches!(error, Error::Tls(ref m) if m.starts_with("private key")),
        "{error}"
    );
    let error = TlsConfig::from_pem(b"", b"").unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error}");
    let error =
        TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/cert.pem"),
        "{error}"
    );
}

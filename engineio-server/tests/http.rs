//! The HTTP surface: CORS, the cookie, compression, header hooks, and
//! mounting the server next to other routes.
#![allow(clippy::unwrap_used)]

mod support;

use std::convert::Infallible;
use std::io::Read as _;
use std::time::Duration;

use bytes::Bytes;
use engineio_server::{Config, Cookie, Cors, Message, SameSite, Server};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use support::*;

#[tokio::test]
async fn cors_preflight_and_responses() {
    let config = Config::default().cors(
        Cors::origins(["https://app.example"])
            .credentials(true)
            .max_age(std::time::Duration::from_secs(60)),
    );
    let t = start(config).await;
    let preflight = Request::options("/engine.io/?EIO=4&transport=polling")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Full::default())
        .unwrap();
    let answer = send(t.addr, preflight).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(answer.headers["access-control-allow-credentials"], "true");
    assert_eq!(
        answer.headers["access-control-allow-headers"],
        "content-type"
    );
    assert_eq!(answer.headers["access-control-max-age"], "60");

    let request = Request::get("/engine.io/?EIO=4&transport=polling")
        .header("origin", "https://app.example")
        .body(Full::default())
        .unwrap();
    let answer = send(t.addr, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example"
    );

    let request = Request::get("/engine.io/?EIO=4&transport=polling")
        .header("origin", "https://evil.example")
        .body(Full::default())
        .unwrap();
    let answer = send(t.addr, request).await;
    assert!(answer.headers.get("access-control-allow-origin").is_none());

    // Errors carry CORS headers too, so the browser can read them.
    let request = Request::get("/engine.io/?EIO=4&transport=polling&sid=x")
        .header("origin", "https://app.example")
        .body(Full::default())
        .unwrap();
    let answer = send(t.addr, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example"
    );
}

#[tokio::test]
async fn a_cors_origin_predicate_that_waits_decides_each_request() {
    let config = Config::default().cors(Cors::predicate_async(|origin| {
        let origin = origin.to_owned();
        async move {
            // A lookup elsewhere.
            tokio::task::yield_now().await;
            origin == "https://ok.example"
        }
    }));
    let t = start(config).await;
    for (origin, allowed) in [
        ("https://ok.example", true),
        ("https://evil.example", false),
    ] {
        let preflight = Request::options("/engine.io/?EIO=4&transport=polling")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .body(Full::default())
            .unwrap();
        let answer = send(t.addr, preflight).await;
        let allow = answer.headers.get("access-control-allow-origin");
        assert_eq!(
            allow.map(|v| v.to_str().unwrap()),
            allowed.then_some(origin),
            "{origin}"
        );
        let request = Request::get("/engine.io/?EIO=4&transport=polling")
            .header("origin", origin)
            .body(Full::default())
            .unwrap();
        let answer = send(t.addr, request).await;
        let allow = answer.headers.get("access-control-allow-origin");
        assert_eq!(
            allow.map(|v| v.to_str().unwrap()),
            allowed.then_some(origin),
            "{origin}"
        );
    }
}

#[tokio::test]
async fn the_cookie_carries_the_sid_when_asked_for() {
    let t = start(Config::default()).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert!(answer.headers.get("set-cookie").is_none(), "off by default");

    let cookie = Cookie {
        name: "sess".into(),
        path: "/app".into(),
        http_only: false,
        same_site: SameSite::Strict,
        ..Cookie::default()
    };
    let t = start(Config::default().cookie(cookie)).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    let text = answer.text();
    let open: serde_json::Value = serde_json::from_str(&text[1..]).unwrap();
    assert_eq!(
        answer.headers["set-cookie"],
        format!(
            "sess={}; Path=/app; SameSite=Strict",
            open["sid"].as_str().unwrap()
        )
    );

    // Every attribute, in the order Node's `cookie` package writes them.
    let cookie = Cookie {
        secure: true,
        domain: Some("example.com".into()),
        max_age: Some(Duration::from_millis(3_600_700)),
        ..Cookie::default()
    };
    let t = start(Config::default().cookie(cookie)).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    let sid = answer.text()[1..].to_owned();
    let sid: serde_json::Value = serde_json::from_str(&sid).unwrap();
    assert_eq!(
        answer.headers["set-cookie"],
        format!(
            "io={}; Max-Age=3600; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax",
            sid["sid"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn large_polling_responses_are_compressed_as_accepted() {
    let mut t = start_with(Config::default(), false).await;
    let (sid, _) = handshake(t.addr, 4).await;
    let socket = t.next_connect().await;
    let big = "x".repeat(5000);

    for (accept, encoding) in [
        ("gzip, deflate", Some("gzip")),
        ("deflate", Some("deflate")),
        ("br", None),
    ] {
        socket.send(Message::Text(big.clone().into())).unwrap();
        let request = Request::get(polling(&sid))
            .header("accept-encoding", accept)
            .body(Full::default())
            .unwrap();
        let answer = send(t.addr, request).await;
        let got = answer
            .headers
            .get("content-encoding")
            .map(|v| v.to_str().unwrap());
        assert_eq!(got, encoding, "{accept}");
        let mut plain = String::new();
        match encoding {
            Some("gzip") => {
                assert!(answer.body.len() < 200);
                flate2::read::GzDecoder::new(&answer.body[..])
                    .read_to_string(&mut plain)
                    .unwrap();
            }
            Some(_) => {
                flate2::read::ZlibDecoder::new(&answer.body[..])
                    .read_to_string(&mut plain)
                    .unwrap();
            }
            None => plain = answer.text().to_owned(),
        }
        assert_eq!(plain, format!("4{big}"));
    }

    // Small responses and a threshold of `None` are never compressed.
    let t = start(Config::default().http_compression(None)).await;
    let request = Request::get("/engine.io/?EIO=4&transport=polling")
        .header("accept-encoding", "gzip")
        .body(Full::default())
        .unwrap();
    assert!(send(t.addr, request)
        .await
        .headers
        .get("content-encoding")
        .is_none());
}

#[tokio::test]
async fn header_hooks_add_to_the_handshake_and_every_response() {
    let config = Config::default()
        .on_initial_headers(|_, headers| {
            headers.insert("x-initial", HeaderValue::from_static("1"));
        })
        .on_headers(|head, headers| {
            let value = if head.uri.query().unwrap_or("").contains("sid=") {
                "later"
            } else {
                "first"
            };
            headers.insert("x-every", HeaderValue::from_static(value));
        });
    let mut t = start(config).await;
    let answer = get(t.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(answer.headers["x-initial"], "1");
    assert_eq!(answer.headers["x-every"], "first");
    let sid = t.next_connect().await.sid().to_string();
    let answer = post(t.addr, &polling(&sid), "4a").await;
    assert!(answer.headers.get("x-initial").is_none());
    assert_eq!(answer.headers["x-every"], "later");
}

#[tokio::test]
async fn the_server_mounts_next_to_other_routes() {
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let recorder = Recorder::new(tx, true);
    let engine = Server::new(Config::default(), recorder);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let engine = engine.clone();
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let engine = engine.clone();
                    async move {
                        if engine.matches_path(request.uri().path()) {
                            Ok::<_, Infallible>(engine.handle(request).await)
                        } else {
                            Ok(Response::new(Full::new(Bytes::from("other route"))))
                        }
                    }
                });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .with_upgrades(),
            );
        }
    });
    assert_eq!(get(addr, "/health").await.text(), "other route");
    let (sid, _) = handshake(addr, 4).await;
    assert!(matches!(events.recv().await, Some(Seen::Connect(_))));
    post(addr, &polling(&sid), "4mounted").await;
    assert!(
        matches!(events.recv().await, Some(Seen::Message(_, Message::Text(t))) if &*t == "mounted")
    );
    // WebSocket upgrades work through the mounted service too.
    probed(addr, &sid).await;
}

#[tokio::test]
async fn long_polling_over_http2() {
    let mut t = start(Config::default()).await;
    let tcp = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let addr = t.addr;
    let get = |path: String| {
        Request::get(format!("http://{addr}{path}"))
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    // The handshake, a POST and a GET, all on the one HTTP/2 connection.
    let answer = sender
        .send_request(get("/engine.io/?EIO=4&transport=polling".into()))
        .await
        .unwrap();
    assert_eq!(answer.version(), http::Version::HTTP_2);
    let body = answer.into_body().collect().await.unwrap().to_bytes();
    let open: serde_json::Value = serde_json::from_slice(&body[1..]).unwrap();
    let sid = open["sid"].as_str().unwrap().to_owned();
    t.next_connect().await;
    let path = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let post = Request::post(format!("http://{}{path}", t.addr))
        .body(Full::new(Bytes::from("4over h2")))
        .unwrap();
    let answer = sender.send_request(post).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer = sender.send_request(get(path)).await.unwrap();
    let body = answer.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"4over h2", "echoed");
}

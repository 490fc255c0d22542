//! Two servers in one cluster through Redis, on two ports of one machine:
//! what is said on one reaches the browsers of both.
//!
//! ```text
//! redis-server &                       # or REDIS_URL=redis://host:port
//! SIO_CLIENT=target/demo/node_modules/socket.io-client \
//!   cargo run --release -p examples --example cluster
//! ```
//!
//! Open http://127.0.0.1:3001 and http://127.0.0.1:3002 (`PORTS` changes
//! them): each page says which server it talks to and how many are online
//! across the cluster, and messages typed in one appear in the other.
//! `./scripts/demo.sh` installs the browser bundle into `target/demo`. Behind
//! a load balancer, the README's section on scaling out shows an nginx
//! configuration.

use axum::{response::Html, routing::get, Router};
use socketio_redis_adapter::{redis, RedisAdapter, RedisAdapterConfig};
use socketio_server::{ClientBundle, Server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let ports = std::env::var("PORTS").unwrap_or_else(|_| "3001,3002".into());
    let bundle = match std::env::var("SIO_CLIENT") {
        Ok(dir) => Some(ClientBundle::from_package_dir(dir)?),
        Err(_) => None,
    };
    let mut running = tokio::task::JoinSet::new();
    for port in ports.split(',') {
        let port: u16 = port.trim().parse()?;
        let client = redis::Client::open(url.as_str())?;
        let mut builder =
            Server::builder().adapter(RedisAdapter::factory(client, RedisAdapterConfig::default()));
        if let Some(bundle) = &bundle {
            builder = builder.serve_client(bundle.clone());
        }
        let io = builder.build();
        if io.client_bundle().is_none() {
            return Err(
                "no socket.io-client bundle: run ./scripts/demo.sh once, and set SIO_CLIENT".into(),
            );
        }
        examples::cluster::demo_sockets(&io, &format!(":{port}"));
        let app = Router::new()
            .route(
                "/",
                get(|| async { Html(include_str!("../static/cluster.html")) }),
            )
            .layer(io.layer());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("cluster server on http://127.0.0.1:{port}");
        running.spawn(async move {
            let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, service).await
        });
    }
    println!("both share {url}; Ctrl-C stops them");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(ended) = running.join_next() => ended??,
    }
    Ok(())
}

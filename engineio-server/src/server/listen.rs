//! Serving on a socket of our own: the listener (with its listen queue),
//! the accept loop, and each connection's HTTP/1.1 or HTTP/2 service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};

use super::{stopped, RemoteAddr, Server};
use crate::Handler;

impl<H: Handler> Server<H> {
    /// Serves this server alone on `addr`, in a background task, and
    /// returns the address it listens on (useful with port 0). Requests for
    /// other paths get 404. [`Server::close`] stops it and frees the port.
    pub async fn listen(&self, addr: impl ToSocketAddrs) -> std::io::Result<SocketAddr> {
        self.listen_with(addr, |stream| async move { Some(stream) })
            .await
    }

    /// As [`Server::listen`], over TLS (HTTPS and WSS) with `tls`; see
    /// [`TlsConfig`](crate::TlsConfig). Each connection's TLS handshake
    /// runs in its own task, so a slow one delays no other.
    #[cfg(feature = "tls")]
    pub async fn listen_tls(
        &self,
        addr: impl ToSocketAddrs,
        tls: crate::TlsConfig,
    ) -> std::io::Result<SocketAddr> {
        let acceptor = tls.acceptor();
        self.listen_with(addr, move |stream| {
            let acceptor = acceptor.clone();
            async move {
                match acceptor.accept(stream).await {
                    Ok(stream) => Some(stream),
                    Err(e) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        None
                    }
                }
            }
        })
        .await
    }

    /// Binds `addr` and serves each accepted connection once `wrap` has
    /// made it ready (or dropped it), in the connection's own task.
    async fn listen_with<W, Fut, S>(
        &self,
        addr: impl ToSocketAddrs,
        wrap: W,
    ) -> std::io::Result<SocketAddr>
    where
        W: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = Option<S>> + Send + 'static,
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let listener = bind(addr, self.inner.config.listen_backlog).await?;
        let local = listener.local_addr()?;
        let server = self.clone();
        let mut shutdown = self.inner.shutdown.subscribe();
        let accept_loop = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = stopped(&mut shutdown) => break,
                };
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of descriptors and the like: wait a little.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(open) = Open::count(
                    &server.inner.connections,
                    server.inner.config.max_connections,
                ) else {
                    tracing::debug!(%peer, "connection refused: max_connections reached");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let ready = wrap(stream);
                let server = server.clone();
                tokio::spawn(async move {
                    let _open = open;
                    if let Some(stream) = ready.await {
                        server.serve_connection(stream, peer).await;
                    }
                });
                // Let the new connection read its first request before the
                // next is accepted: requests sent together on several
                // connections are then handled in the order they came, as
                // Node's single thread handles them (tokio would otherwise
                // run the latest spawned task first).
                tokio::task::yield_now().await;
            }
            tracing::debug!(%local, "stopped listening");
        });
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(accept_loop);
        tracing::debug!(%local, path = %self.inner.config.path, "listening");
        Ok(local)
    }

    async fn serve_connection<S>(self, stream: S, peer: SocketAddr)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let mut shutdown = self.inner.shutdown.subscribe();
        let server = self.clone();
        let service =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                let server = server.clone();
                request.extensions_mut().insert(RemoteAddr(peer));
                async move { Ok::<_, Infallible>(server.handle(request).await) }
            });
        // HTTP/1.1, or HTTP/2 for clients that speak it (prior knowledge,
        // or ALPN over TLS): long-polling then shares one connection.
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        if let Some(timeout) = self.inner.config.http_header_timeout {
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout);
        }
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended");
                }
            }
            () = stopped(&mut shutdown) => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
            }
        }
    }
}

/// Listens on the first of `addr`'s addresses that can be bound, with a
/// listen queue of `backlog` connections.
async fn bind(addr: impl ToSocketAddrs, backlog: u32) -> std::io::Result<TcpListener> {
    let mut failure = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // As std's `bind` does on Unix: a restarted server may bind again
        // while connections of the last one are in TIME_WAIT.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(addr) {
            Ok(()) => return socket.listen(backlog),
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")
    }))
}

/// One open connection, counted while it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    /// Counts a new connection, unless `max` are open already.
    fn count(open: &Arc<AtomicUsize>, max: Option<usize>) -> Option<Self> {
        let max = max.unwrap_or(usize::MAX);
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Self(open.clone()))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

//! The server as tower middleware and as a tower service, for axum and any
//! other tower-based host.
//!
//! - [`Server::layer`] wraps the host's router: requests under the
//!   server's path (`/socket.io/` by default) are answered by the server,
//!   the others go on to the router (axum: `Router::layer(io.layer())`).
//! - [`Server`] is itself a tower `Service` (axum:
//!   `Router::route_service("/socket.io/", io.clone())`, or, with the
//!   `axum` feature, `Router::nest_service("/socket.io", io.clone())`).
//!
//! The client's address, for [`Handshake::address`](crate::Handshake), is
//! the [`RemoteAddr`](engineio_server::RemoteAddr) request extension when
//! the host sets it, or, with the `axum` feature, axum's `ConnectInfo`
//! (`into_make_service_with_connect_info::<SocketAddr>()`).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use engineio_server::ResponseBody;
use http::{Request, Response};
use http_body_util::Either;
use hyper::body::Body;

use crate::Server;

/// The tower `Layer` of [`Server::layer`].
#[derive(Debug, Clone)]
pub struct SocketIoLayer {
    io: Server,
}

impl<S> tower_layer::Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SocketIoService {
            io: self.io.clone(),
            inner,
        }
    }
}

/// The server in front of another service: it answers the requests under
/// its path and hands the others on.
#[derive(Clone)]
pub struct SocketIoService<S> {
    io: Server,
    inner: S,
}

impl<S> fmt::Debug for SocketIoService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIoService")
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for SocketIoService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: fmt::Display,
{
    type Response = Response<Either<ResponseBody, ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if self.io.matches_path(request.uri().path()) {
            let io = self.io.clone();
            return Box::pin(
                async move { Ok(io.handle(with_peer(request)).await.map(Either::Left)) },
            );
        }
        // The clone that was made ready answers; a fresh one waits for the
        // next `poll_ready`.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let answer = inner.call(request);
        Box::pin(async move { Ok(answer.await?.map(Either::Right)) })
    }
}

impl<ReqBody> tower_service::Service<Request<ReqBody>> for Server
where
    ReqBody: Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: fmt::Display,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let io = self.clone();
        Box::pin(async move { Ok(io.handle(with_peer(request)).await) })
    }
}

impl Server {
    /// The server as a tower `Layer`: requests under its path are answered
    /// by it, the others go on to the service it wraps.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::{routing::get, Router};
    /// use socketio_server::{Server, Socket};
    ///
    /// let io = Server::builder().build();
    /// io.on_connection(|socket: Socket| async move {
    ///     let _ = socket.emit("hello", ());
    /// });
    /// let app: Router = Router::new()
    ///     .route("/health", get(|| async { "ok" }))
    ///     .layer(io.layer());
    /// # let _ = app; }
    /// ```
    pub fn layer(&self) -> SocketIoLayer {
        SocketIoLayer { io: self.clone() }
    }
}

/// Sets the [`RemoteAddr`](engineio_server::RemoteAddr) extension from
/// what the host gave, unless it is there already; under axum's
/// `nest_service`, puts back the URI the router stripped.
fn with_peer<B>(mut request: Request<B>) -> Request<B> {
    #[cfg(feature = "axum")]
    if let Some(original) = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .cloned()
    {
        *request.uri_mut() = original.0;
    }
    #[cfg(feature = "axum")]
    if request
        .extensions()
        .get::<engineio_server::RemoteAddr>()
        .is_none()
    {
        let peer = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0);
        if let Some(peer) = peer {
            request
                .extensions_mut()
                .insert(engineio_server::RemoteAddr(peer));
        }
    }
    #[cfg(not(feature = "axum"))]
    let _ = &mut request;
    request
}

//! Running application handlers: in order, without blocking the transport.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use serde::Serialize;
use socketio_parser::{Packet, Value};

use crate::args::to_args;
use crate::extract::{FromContext, HandlerContext};
use crate::socket::Socket;
use crate::Error;

/// A boxed future that handlers return.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A boxed future that middlewares return.
pub(crate) type ResultFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

/// Runs a handler's future now, up to its first pause, then lets tokio
/// finish it.
///
/// This gives Node's ordering: whatever a handler does before its first
/// `.await` (joining a room, emitting) happens before the next packet of
/// the same client is looked at, as with Node's synchronous listeners.
///
/// A handler that panics is stopped there, as a tokio task would be; the
/// other handlers and the connection go on.
pub(crate) fn run_now(future: impl Future<Output = ()> + Send + 'static) {
    let mut future: BoxFuture = Box::pin(future);
    let mut cx = Context::from_waker(Waker::noop());
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
    match polled {
        // The spawned task polls it again at once with a real waker.
        Ok(Poll::Pending) => drop(tokio::spawn(future)),
        Ok(Poll::Ready(())) => {}
        Err(_) => tracing::error!("a handler panicked"),
    }
}

/// An async function or closure whose parameters are extractors (see
/// [`FromContext`](crate::extract::FromContext)), up to eight of them, in
/// any order. `R` is what its future gives: `()` for event and connection
/// handlers, `Result<(), Error>` for middlewares.
///
/// You do not implement this trait; it is implemented for every such
/// function.
pub trait Handler<T, R>: Send + Sync + 'static {
    /// Takes the parameters from `cx` and calls the function; an extractor
    /// that cannot give its value stops the call with its error.
    fn call(&self, cx: &HandlerContext) -> Result<Pin<Box<dyn Future<Output = R> + Send>>, Error>;
}

macro_rules! impl_handler {
    ($($t:ident),*) => {
        impl<F, Fut, R, $($t,)*> Handler<($($t,)*), R> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            $($t: FromContext,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(
                &self,
                cx: &HandlerContext,
            ) -> Result<Pin<Box<dyn Future<Output = R> + Send>>, Error> {
                $(let $t = $t::from_context(cx)?;)*
                Ok(Box::pin(self($($t),*)))
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);

/// A handler with its parameter types erased, as the server keeps it.
pub(crate) type ErasedHandler<R> = Arc<
    dyn Fn(&HandlerContext) -> Result<Pin<Box<dyn Future<Output = R> + Send>>, Error> + Send + Sync,
>;

/// Erases `handler`'s parameter types.
pub(crate) fn erase<T, R, H: Handler<T, R>>(handler: H) -> ErasedHandler<R> {
    Arc::new(move |cx| handler.call(cx))
}

/// The answer to the ack a client asked for with its event (Node's last
/// callback argument). Take it as a handler parameter; several handlers
/// of one event share it, and only the first answer goes out. When the
/// client asked for no ack, sending does nothing.
#[derive(Debug, Clone)]
pub struct AckSender {
    ack: Option<(Socket, u64)>,
    sent: Arc<AtomicBool>,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: u64) -> Self {
        Self {
            ack: Some((socket, id)),
            sent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The sender of an event that asked for no ack.
    pub(crate) fn none() -> Self {
        Self {
            ack: None,
            sent: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Whether the client asked for an ack that nobody has sent yet.
    pub fn is_pending(&self) -> bool {
        self.ack.is_some() && !self.sent.load(Ordering::Acquire)
    }

    /// Answers with `args`: a tuple is several arguments, `()` none, any
    /// other value (a `Vec` included) one. Later calls, and calls when the
    /// client asked for no ack, do nothing.
    pub fn send(&self, args: impl Serialize) -> Result<(), Error> {
        let args = to_args(&args)?;
        self.send_values(args)
    }

    /// Answers with arguments that are already socket.io values, one
    /// element per argument.
    pub fn send_values(&self, args: Vec<Value>) -> Result<(), Error> {
        let Some((socket, id)) = &self.ack else {
            return Ok(());
        };
        if self.sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        tracing::trace!(socket = %socket.id(), id, args = args.len(), "ack out");
        let packet = Packet::ack(socket.namespace_name(), *id, args);
        socket.send_packet(&packet)
    }
}

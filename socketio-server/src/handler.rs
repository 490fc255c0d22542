//! Running application handlers: in order, without blocking the transport.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use serde::Serialize;
use socketio_parser::{Packet, Value};

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

/// Turns emit arguments into socket.io arguments: a sequence (a tuple, a
/// `Vec`) gives one argument per element, `()` none, anything else one.
pub(crate) fn to_args(args: &impl Serialize) -> Result<Vec<Value>, Error> {
    match socketio_parser::to_value(args).map_err(|e| Error::Serde(e.to_string()))? {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => Ok(vec![other]),
    }
}

/// The acknowledgement a client asked for with its event: call
/// [`Ack::send`] once with the answer's arguments. Several handlers of one
/// event share it; only the first answer goes out.
#[derive(Debug, Clone)]
pub struct Ack {
    socket: Socket,
    id: u64,
    sent: Arc<AtomicBool>,
}

impl Ack {
    pub(crate) fn new(socket: Socket, id: u64) -> Self {
        Self {
            socket,
            id,
            sent: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Answers with `args` (a tuple: `()`, `(a,)`, `(a, b)`, ..., or a `Vec`).
    /// Later calls do nothing.
    pub fn send(&self, args: impl Serialize) -> Result<(), Error> {
        let args = to_args(&args)?;
        self.send_values(args)
    }

    /// Answers with arguments that are already socket.io values.
    pub fn send_values(&self, args: Vec<Value>) -> Result<(), Error> {
        if self.sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let packet = Packet::ack(self.socket.namespace_name(), self.id, args);
        self.socket.send_packet(&packet)
    }
}

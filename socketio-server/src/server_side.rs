//! Server-side emits: events from one server to the same namespace on the
//! other servers of a cluster (Node's `serverSideEmit`).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_adapter::ack_channel;
use socketio_parser::Value;
use tokio::time::Instant;

use crate::acks::{AckStream, DEFAULT_ACK_TIMEOUT};
use crate::args::to_args;
use crate::socket::check_event;
use crate::{Error, Namespace};

/// A server-side emit being set up: [`Namespace::server_side`].
#[derive(Debug, Clone)]
pub struct ServerSideEmitter {
    ns: Namespace,
    include_self: bool,
    timeout: Option<Duration>,
}

impl Namespace {
    /// A server-side emit to the other servers, to set up (whether this
    /// server hears it too, the ack timeout) before sending.
    pub fn server_side(&self) -> ServerSideEmitter {
        ServerSideEmitter {
            ns: self.clone(),
            include_self: false,
            timeout: None,
        }
    }

    /// Sends `event` with `args` to this namespace on every other server;
    /// they hear it through [`Namespace::on_server_side_emit`].
    pub async fn server_side_emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        self.server_side().emit(event, args).await
    }

    /// As [`Namespace::server_side_emit`], and returns each server's answer
    /// (see [`AckStream`]), waiting at most [`DEFAULT_ACK_TIMEOUT`].
    pub async fn server_side_emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<AckStream<T>, Error> {
        self.server_side().emit_with_ack(event, args).await
    }
}

impl ServerSideEmitter {
    /// Whether this server's own handlers hear the event too (default:
    /// only the other servers, as in Node).
    pub fn include_self(mut self, include: bool) -> Self {
        self.include_self = include;
        self
    }

    /// How long [`ServerSideEmitter::emit_with_ack`] waits for the answers
    /// (default [`DEFAULT_ACK_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn message(event: &str, args: &impl Serialize) -> Result<Vec<Value>, Error> {
        check_event(event)?;
        let mut message = vec![Value::from(event)];
        message.extend(to_args(args)?);
        Ok(message)
    }

    /// Sends `event` with `args`.
    pub async fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        let message = Self::message(event, &args)?;
        if self.include_self {
            self.ns.local_server_side_emit(message.clone(), None);
        }
        Ok(self.ns.adapter().server_side_emit(message, None).await?)
    }

    /// Sends `event` with `args` and returns the answers of the servers
    /// (this one too with [`ServerSideEmitter::include_self`]), decoded as
    /// `T`, as they arrive.
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<AckStream<T>, Error> {
        let message = Self::message(event, &args)?;
        let deadline = Instant::now() + self.timeout.unwrap_or(DEFAULT_ACK_TIMEOUT);
        let (tx, rx) = ack_channel();
        if self.include_self {
            tx.expect(1);
            self.ns
                .local_server_side_emit(message.clone(), Some(tx.clone()));
        }
        let announced = self.ns.adapter().server_side_emit(message, Some(tx));
        AckStream::after(announced, rx, deadline).await
    }
}

//! Extractors: what a handler's parameters ask for, taken from the event
//! (or connection) that calls it, the way axum's handlers take theirs.
//!
//! A handler is an async function or closure whose parameters, in any
//! order and any subset, implement [`FromContext`]:
//!
//! | extractor | gives |
//! |---|---|
//! | [`Socket`] | the socket |
//! | [`Data<T>`] | the arguments as `T`: one argument is `T` itself, several a tuple, any list `Vec<Value>`; a connection's auth payload |
//! | [`TryData<T>`] | the same, as a `Result`, for handlers that want to see a mismatch |
//! | [`AckSender`] | the answer to the client's ack, if it asked for one |
//! | [`State<S>`] | application state given to [`ServerBuilder::with_state`](crate::ServerBuilder::with_state) |
//! | [`Event`] | the event's name |
//!
//! When an extractor cannot give its value, the handler is not called: the
//! socket's [`on_error`](Socket::on_error) handlers hear why, and it is
//! logged at WARN once per socket and event.

use std::any::{type_name, Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use socketio_parser::Value;

use crate::args::from_args;
use crate::handler::AckSender;
use crate::{Error, Socket};

/// What a handler is called with: the socket, the event's name and
/// arguments (or the auth payload, for connection handlers and
/// middlewares) and the ack the client asked for.
#[derive(Debug)]
pub struct HandlerContext {
    socket: Socket,
    event: Option<String>,
    args: Vec<Value>,
    ack: AckSender,
}

impl HandlerContext {
    /// For an event from the client.
    pub(crate) fn event(socket: Socket, event: String, args: Vec<Value>, ack: AckSender) -> Self {
        Self {
            socket,
            event: Some(event),
            args,
            ack,
        }
    }

    /// For a connection handler or a middleware: the auth payload is the
    /// one argument.
    pub(crate) fn connection(socket: Socket) -> Self {
        let auth = socket.handshake().auth.clone();
        Self {
            socket,
            event: None,
            args: vec![auth],
            ack: AckSender::none(),
        }
    }

    /// The socket.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The event's name; `None` for connection handlers and middlewares.
    pub fn event_name(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The arguments as they came (for a connection, the auth payload).
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// What the arguments are called in errors: the event's name, or the
    /// auth payload.
    fn what(&self) -> String {
        match &self.event {
            Some(event) => event.clone(),
            None => String::from("connection auth"),
        }
    }
}

/// A handler parameter taken from the [`HandlerContext`]. Implement it to
/// write your own extractors.
pub trait FromContext: Sized {
    /// Takes the value, or says why it cannot; the handler is then not
    /// called.
    fn from_context(cx: &HandlerContext) -> Result<Self, Error>;
}

impl FromContext for Socket {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        Ok(cx.socket.clone())
    }
}

/// Every argument of the event as it came, one element per argument
/// (Node's `(...args) => ...`), whatever their number and shape.
impl FromContext for crate::Args {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        Ok(Self(cx.args.clone()))
    }
}

/// The event's arguments (or a connection's auth payload) deserialized
/// into `T`: one argument is `T` itself, several are a tuple, and any
/// list reads as `Vec<Value>`. Arguments that do not fit keep the handler
/// from being called (see [`TryData`] to see the mismatch yourself).
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T>(pub T);

impl<T: DeserializeOwned> FromContext for Data<T> {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        from_args(&cx.args)
            .map(Self)
            .map_err(|e| Error::InvalidData {
                event: cx.what(),
                message: e.to_string(),
            })
    }
}

/// As [`Data`], but the handler is called either way and sees the
/// [`Error::InvalidData`] when the arguments do not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct TryData<T>(pub Result<T, Error>);

impl<T: DeserializeOwned> FromContext for TryData<T> {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        Ok(Self(Data::from_context(cx).map(|Data(t)| t)))
    }
}

/// The event's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub String);

impl FromContext for Event {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        Ok(Self(cx.what()))
    }
}

impl FromContext for AckSender {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        Ok(cx.ack.clone())
    }
}

/// Application state of type `S`, given once to
/// [`ServerBuilder::with_state`](crate::ServerBuilder::with_state); several
/// types may be given. `S` is cloned for each handler call, so make it
/// cheap to clone (an `Arc`, or a struct of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<S>(pub S);

impl<S: Clone + Send + Sync + 'static> FromContext for State<S> {
    fn from_context(cx: &HandlerContext) -> Result<Self, Error> {
        cx.socket
            .namespace()
            .server()
            .and_then(|server| server.states().get::<S>())
            .map(Self)
            .ok_or(Error::MissingState(type_name::<S>()))
    }
}

/// The states given to the builder, by type.
#[derive(Clone, Default)]
pub(crate) struct States(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl States {
    pub(crate) fn insert<S: Clone + Send + Sync + 'static>(&mut self, state: S) {
        self.0.insert(TypeId::of::<S>(), Arc::new(state));
    }

    fn get<S: Clone + Send + Sync + 'static>(&self) -> Option<S> {
        self.0.get(&TypeId::of::<S>())?.downcast_ref::<S>().cloned()
    }
}

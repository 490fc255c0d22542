//! Adding and removing a socket's listeners: event handlers, any and
//! any-outgoing listeners, packet middleware, error and disconnect
//! handlers.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use socketio_parser::Value;

use super::{lock, AnyHandler, EventHandler, Listener, ListenerId, Socket};
use crate::handler::{erase, Handler};
use crate::{DisconnectReason, Error};

impl Socket {
    /// Listens to `event` with `handler`, an async function or closure whose
    /// parameters are extractors (see [`crate::extract`]): the [`Socket`],
    /// [`Data<T>`](crate::Data) for the arguments, an
    /// [`AckSender`](crate::AckSender) to answer, [`State<S>`](crate::State), ...
    ///
    /// Several handlers of one event run in the order they were added. If
    /// the arguments do not fit a handler's `Data<T>`, that handler is not
    /// called: the [`Socket::on_error`] handlers hear
    /// [`Error::InvalidData`], and it is logged at WARN once per socket and
    /// event.
    ///
    /// ```
    /// use socketio_server::{AckSender, Data, Server, Socket};
    /// let io = Server::builder().build();
    /// io.on_connection(|socket: Socket| async move {
    ///     socket.on("join", |socket: Socket, Data(room): Data<String>| async move {
    ///         socket.join([room]);
    ///     });
    ///     socket.on("add", |Data((a, b)): Data<(i64, i64)>, ack: AckSender| async move {
    ///         let _ = ack.send(a + b);
    ///     });
    /// });
    /// ```
    ///
    /// Returns an id that [`Socket::off`] takes to remove this handler.
    pub fn on<T, H>(&self, event: &str, handler: H) -> ListenerId
    where
        H: Handler<T, ()>,
    {
        self.add_listener(event, erase(handler), false)
    }

    /// As [`Socket::on`], but the handler runs for the next `event` only
    /// (Node's `once`).
    pub fn once<T, H>(&self, event: &str, handler: H) -> ListenerId
    where
        H: Handler<T, ()>,
    {
        self.add_listener(event, erase(handler), true)
    }

    fn add_listener(&self, event: &str, handler: EventHandler, once: bool) -> ListenerId {
        let id = ListenerId::next();
        lock(&self.0.handlers)
            .events
            .push((event.into(), Listener { id, handler, once }));
        id
    }

    /// Removes the handler `id` of `event`, or all of them with `None`
    /// (Node's `off` and `removeAllListeners(event)`).
    pub fn off(&self, event: &str, id: Option<ListenerId>) {
        let mut handlers = lock(&self.0.handlers);
        match id {
            Some(id) => handlers
                .events
                .retain(|(name, l)| !(l.id == id && **name == *event)),
            None => handlers.events.retain(|(name, _)| **name != *event),
        }
    }

    /// Removes every event handler of the socket (Node's
    /// `removeAllListeners()`); any-listeners, middlewares and disconnect
    /// handlers stay.
    pub fn remove_all_listeners(&self) {
        lock(&self.0.handlers).events.clear();
    }

    /// Reports that a handler of `event` could not be called: the error
    /// handlers hear why, and the first time for this event it is logged.
    pub(crate) fn handler_refused(&self, event: &str, error: Error) {
        if lock(&self.0.warned).insert(event.to_owned()) {
            tracing::warn!(id = %self.0.id, event, %error, "handler not called");
        }
        self.handle_error(error);
    }

    /// Listens to every incoming event, before the handlers of that event
    /// (Node's `onAny`): the handler gets the event name and arguments.
    pub fn on_any<F, Fut>(&self, handler: F) -> ListenerId
    where
        F: Fn(Self, String, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_any(false, Arc::new(move |s, e, a| Box::pin(handler(s, e, a))))
    }

    /// As [`Socket::on_any`], but runs before the listeners already added
    /// (Node's `prependAny`).
    pub fn prepend_any<F, Fut>(&self, handler: F) -> ListenerId
    where
        F: Fn(Self, String, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_any(true, Arc::new(move |s, e, a| Box::pin(handler(s, e, a))))
    }

    fn add_any(&self, first: bool, handler: AnyHandler) -> ListenerId {
        let id = ListenerId::next();
        let any = &mut lock(&self.0.handlers).any;
        let at = if first { 0 } else { any.len() };
        any.insert(at, (id, handler));
        id
    }

    /// Removes a listener added with [`Socket::on_any`] or
    /// [`Socket::prepend_any`]; `None` removes them all (Node's `offAny`).
    pub fn off_any(&self, id: Option<ListenerId>) {
        let mut handlers = lock(&self.0.handlers);
        match id {
            Some(id) => handlers.any.retain(|(i, _)| *i != id),
            None => handlers.any.clear(),
        }
    }

    /// Listens to every event sent to this client, by `emit` or by a
    /// broadcast (Node's `onAnyOutgoing`).
    pub fn on_any_outgoing<F, Fut>(&self, handler: F) -> ListenerId
    where
        F: Fn(Self, String, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_outgoing(false, Arc::new(move |s, e, a| Box::pin(handler(s, e, a))))
    }

    /// As [`Socket::on_any_outgoing`], but runs before the listeners
    /// already added (Node's `prependAnyOutgoing`).
    pub fn prepend_any_outgoing<F, Fut>(&self, handler: F) -> ListenerId
    where
        F: Fn(Self, String, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_outgoing(true, Arc::new(move |s, e, a| Box::pin(handler(s, e, a))))
    }

    fn add_outgoing(&self, first: bool, handler: AnyHandler) -> ListenerId {
        let id = ListenerId::next();
        let outgoing = &mut lock(&self.0.handlers).any_outgoing;
        let at = if first { 0 } else { outgoing.len() };
        outgoing.insert(at, (id, handler));
        self.0.watches_outgoing.store(true, Ordering::Release);
        id
    }

    /// Removes a listener added with [`Socket::on_any_outgoing`]; `None`
    /// removes them all (Node's `offAnyOutgoing`).
    pub fn off_any_outgoing(&self, id: Option<ListenerId>) {
        let mut handlers = lock(&self.0.handlers);
        match id {
            Some(id) => handlers.any_outgoing.retain(|(i, _)| *i != id),
            None => handlers.any_outgoing.clear(),
        }
        self.0
            .watches_outgoing
            .store(!handlers.any_outgoing.is_empty(), Ordering::Release);
    }

    /// Adds a packet middleware (Node's `socket.use`): it sees every
    /// incoming event as `[event, ...args]` before any listener, and
    /// returns it, changed or not, or an error. An error stops the packet
    /// and goes to the [`Socket::on_error`] handlers. Middlewares run in
    /// the order they were added.
    ///
    /// A middleware that finishes without awaiting keeps the order of
    /// packets; one that awaits lets later packets overtake, as in Node.
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Self, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Value>, Error>> + Send + 'static,
    {
        lock(&self.0.handlers)
            .middleware
            .push(Arc::new(move |s, p| Box::pin(middleware(s, p))));
    }

    /// Runs `handler` with each error of a packet middleware (Node's
    /// `socket.on("error")`).
    pub fn on_error<F, Fut>(&self, handler: F)
    where
        F: Fn(Self, Error) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        lock(&self.0.handlers)
            .error
            .push(Arc::new(move |s, e| Box::pin(handler(s, e))));
    }

    /// Runs `handler` when the socket is about to leave (its rooms are
    /// still there).
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: Fn(Self, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        lock(&self.0.handlers)
            .disconnecting
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Runs `handler` once the socket has left.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: Fn(Self, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        lock(&self.0.handlers)
            .disconnect
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }
}

//! Dynamic namespaces: namespaces made on demand for the names a regex or
//! a predicate accepts (Node's `ParentNamespace`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde::Serialize;
use socketio_parser::Value;

use crate::args::{to_args, Args};
use crate::handler::Handler;
use crate::namespace::{read, write, NsHandlers};
use crate::{Error, Namespace};

type Predicate =
    Box<dyn Fn(&str, &Value) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Which names a dynamic namespace accepts.
enum Matcher {
    Regex(Regex),
    Predicate(Predicate),
}

struct DynInner {
    matcher: Matcher,
    handlers: Arc<NsHandlers>,
    children: RwLock<HashMap<String, Namespace>>,
}

/// The parent of namespaces made on demand (Node's `io.of(regex)` or
/// `io.of(predicate)`): each accepted name becomes a child [`Namespace`]
/// that shares the parent's connection handlers and middlewares, the
/// ones added later included.
///
/// Made with [`Server::of_regex`](crate::Server::of_regex) or
/// [`Server::of_predicate`](crate::Server::of_predicate). Cheap to clone.
#[derive(Clone)]
pub struct DynamicNamespace(Arc<DynInner>);

impl fmt::Debug for DynamicNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let matcher = match &self.0.matcher {
            Matcher::Regex(r) => r.as_str(),
            Matcher::Predicate(_) => "<predicate>",
        };
        f.debug_struct("DynamicNamespace")
            .field("matcher", &matcher)
            .field("children", &read(&self.0.children).len())
            .finish()
    }
}

impl DynamicNamespace {
    /// What metrics call every child of this dynamic namespace (children
    /// are named by clients: one series each would have no bound).
    pub(crate) fn metrics_label(&self) -> String {
        match &self.0.matcher {
            Matcher::Regex(r) => format!("dynamic:{}", r.as_str()),
            Matcher::Predicate(_) => "dynamic:<predicate>".to_owned(),
        }
    }

    pub(crate) fn regex(regex: Regex) -> Self {
        Self::with(Matcher::Regex(regex))
    }

    pub(crate) fn predicate<F, Fut>(predicate: F) -> Self
    where
        F: Fn(&str, &Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self::with(Matcher::Predicate(Box::new(move |name, auth| {
            Box::pin(predicate(name, auth))
        })))
    }

    fn with(matcher: Matcher) -> Self {
        Self(Arc::new(DynInner {
            matcher,
            handlers: Arc::default(),
            children: RwLock::new(HashMap::new()),
        }))
    }

    /// Whether a client asking for `name` with `auth` gets a child here.
    pub(crate) async fn accepts(&self, name: &str, auth: &Value) -> bool {
        match &self.0.matcher {
            Matcher::Regex(r) => r.is_match(name),
            Matcher::Predicate(p) => p(name, auth).await,
        }
    }

    pub(crate) fn handlers(&self) -> Arc<NsHandlers> {
        self.0.handlers.clone()
    }

    pub(crate) fn add_child(&self, child: &Namespace) {
        write(&self.0.children).insert(child.name().to_owned(), child.clone());
    }

    pub(crate) fn remove_child(&self, name: &str) {
        write(&self.0.children).remove(name);
    }

    /// Runs `handler` for each socket that joins any child namespace.
    pub fn on_connection<T, H: Handler<T, ()>>(&self, handler: H) {
        self.0.handlers.on_connection(handler);
    }

    /// Adds a middleware that runs for each client joining any child
    /// namespace (see [`Namespace::middleware`]).
    pub fn middleware<T, H: Handler<T, Result<(), Error>>>(&self, middleware: H) {
        self.0.handlers.middleware(middleware);
    }

    /// The child namespaces made so far (and not cleaned up).
    pub fn children(&self) -> Vec<Namespace> {
        read(&self.0.children).values().cloned().collect()
    }

    /// Sends `event` to every socket of every child namespace.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        let args = Args(to_args(&args)?);
        for child in self.children() {
            child.emit(event, &args)?;
        }
        Ok(())
    }
}

//! The server's namespace table: lookups, the children dynamic
//! namespaces make on demand and forget when empty, and the admin UI's
//! instrumentation told of each namespace.

use std::sync::Arc;

use socketio_parser::Value;

use super::ServerInner;
use crate::admin::Instrument;
use crate::namespace::{read, write, Namespace};

impl ServerInner {
    /// Instruments the server (once): every namespace, those created from
    /// now on included, tells `instrument` of its room changes.
    pub(crate) fn set_instrument(&self, instrument: Arc<Instrument>) -> bool {
        let existing: Vec<Namespace> = {
            // New namespaces are made under this lock: each is told once.
            let namespaces = write(&self.namespaces);
            if self.instrument.set(instrument.clone()).is_err() {
                return false;
            }
            namespaces.values().cloned().collect()
        };
        for ns in &existing {
            instrument.namespace_created(ns);
        }
        true
    }

    /// The namespace `name`, if it exists (never created).
    pub(crate) fn existing_namespace(&self, name: &str) -> Option<Namespace> {
        read(&self.namespaces).get(name).cloned()
    }

    /// Every namespace, by name.
    pub(crate) fn namespace_list(&self) -> Vec<Namespace> {
        let mut list: Vec<Namespace> = read(&self.namespaces).values().cloned().collect();
        list.sort_by(|a, b| a.name().cmp(b.name()));
        list
    }

    /// The namespace a client asking for `name` with `auth` joins: one that
    /// exists, or a new child of the first dynamic namespace that accepts
    /// it.
    pub(crate) async fn namespace(self: &Arc<Self>, name: &str, auth: &Value) -> Option<Namespace> {
        if let Some(ns) = read(&self.namespaces).get(name) {
            return Some(ns.clone());
        }
        // Asked in order, none of ours locked while a predicate runs.
        let parents = read(&self.dynamic).clone();
        let mut accepted = None;
        for parent in parents {
            if parent.accepts(name, auth).await {
                accepted = Some(parent);
                break;
            }
        }
        let parent = accepted?;
        let mut namespaces = write(&self.namespaces);
        let child = namespaces
            .entry(name.to_owned())
            .or_insert_with(|| {
                tracing::debug!(nsp = %name, "dynamic namespace created");
                let child = Namespace::new(name, self, Some(parent.clone()));
                parent.add_child(&child);
                child
            })
            .clone();
        Some(child)
    }

    /// Forgets a child of a dynamic namespace that has no socket left, when
    /// the server is set to.
    pub(crate) fn cleanup_child(&self, ns: &Namespace) {
        if !self.cleanup_empty_children {
            return;
        }
        {
            let mut namespaces = write(&self.namespaces);
            // A socket may have joined since.
            if ns.socket_count() > 0 {
                return;
            }
            match namespaces.get(ns.name()) {
                Some(current) if current.same(ns) => namespaces.remove(ns.name()),
                _ => return,
            };
        }
        if let Some(parent) = ns.parent() {
            parent.remove_child(ns.name());
        }
        tracing::debug!(nsp = %ns.name(), "empty dynamic namespace removed");
        let adapter = ns.adapter().clone();
        let name = ns.name().to_owned();
        tokio::spawn(async move {
            if let Err(e) = adapter.close().await {
                tracing::warn!(nsp = %name, error = %e, "adapter did not close cleanly");
            }
        });
    }
}

//! The shared record of the calls the adapters received.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A handle on the calls recorded by the adapters of one factory, oldest
/// first. Cloning it gives another handle on the same record.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every entry so far, oldest first.
    pub fn entries(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Forgets every entry so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Appends one entry.
    pub(crate) fn push(&self, entry: String) {
        self.lock().push(entry);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

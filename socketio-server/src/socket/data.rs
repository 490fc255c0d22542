//! User state kept on a socket (Node's `socket.data`).

use std::any::Any;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_parser::{from_value, Value};

use super::{lock, Socket};

/// User state kept on a socket: any serializable type, so that adapters
/// can hand it to other servers.
pub(super) trait SocketData: Any + Send + Sync {
    fn to_value(&self) -> Value;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Serialize + Send + Sync + 'static> SocketData for T {
    fn to_value(&self) -> Value {
        socketio_parser::to_value(self).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "socket data does not serialize");
            Value::Null
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Socket {
    /// Stores user state on the socket (Node's `socket.data`), replacing
    /// what was there. It is serializable so that `fetch_sockets` can show
    /// it to other servers.
    pub fn set_data<T: Serialize + Send + Sync + 'static>(&self, data: T) {
        *lock(&self.0.data) = Some(Box::new(data));
        self.data_changed();
    }

    /// A copy of the user state, if it was set with type `T` (or, for a
    /// recovered socket, if the state it had decodes as `T`).
    pub fn data<T: Clone + DeserializeOwned + Send + Sync + Serialize + 'static>(
        &self,
    ) -> Option<T> {
        self.with_data(|data: &mut T| data.clone())
    }

    /// Changes the user state in place, if it was set with type `T` (or
    /// decodes as `T`), and returns what `change` returns.
    pub fn update_data<T, R>(&self, change: impl FnOnce(&mut T) -> R) -> Option<R>
    where
        T: DeserializeOwned + Serialize + Send + Sync + 'static,
    {
        let changed = self.with_data(change);
        if changed.is_some() {
            self.data_changed();
        }
        changed
    }

    /// The admin UI, if the server has one, hears of the new state.
    fn data_changed(&self) {
        if let Some(server) = self.0.ns.server() {
            if let Some(instrument) = server.instrument() {
                instrument.data_changed(self);
            }
        }
    }

    fn with_data<T, R>(&self, change: impl FnOnce(&mut T) -> R) -> Option<R>
    where
        T: DeserializeOwned + Serialize + Send + Sync + 'static,
    {
        let mut data = lock(&self.0.data);
        let slot = data.as_mut()?;
        if !slot.as_any().is::<T>() {
            // A recovered socket's state comes back as a value.
            let value = slot.as_any().downcast_ref::<Value>()?.clone();
            *slot = Box::new(from_value::<T>(value).ok()?);
        }
        slot.as_any_mut().downcast_mut::<T>().map(change)
    }

    /// The user state as a socket.io value (`null` when unset), as
    /// adapters see it.
    pub fn data_value(&self) -> Value {
        lock(&self.0.data)
            .as_ref()
            .map_or(Value::Null, |d| d.to_value())
    }
}

//! Sockets as `fetch_sockets` returns them: on this server or another.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_adapter::{BroadcastOptions, Handshake, Room, SocketDetails, SocketId};
use socketio_parser::{from_value, Value};

use crate::{Error, Namespace};

/// A socket found by `fetch_sockets` (Node's `RemoteSocket`): a snapshot of
/// its id, handshake, rooms and data, and a handle that reaches it through
/// the adapter wherever it is connected.
#[derive(Debug, Clone)]
pub struct RemoteSocket {
    ns: Namespace,
    details: SocketDetails,
}

impl RemoteSocket {
    pub(crate) fn new(ns: Namespace, details: SocketDetails) -> Self {
        Self { ns, details }
    }

    /// The socket's id.
    pub fn id(&self) -> &SocketId {
        &self.details.id
    }

    /// Its handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.details.handshake
    }

    /// The rooms it was in when fetched.
    pub fn rooms(&self) -> &HashSet<Room> {
        &self.details.rooms
    }

    /// Its user state when fetched, as a socket.io value.
    pub fn data_value(&self) -> &Value {
        &self.details.data
    }

    /// Its user state decoded as `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        from_value(self.details.data.clone()).map_err(|e| Error::Serde(e.to_string()))
    }

    fn only(&self) -> BroadcastOptions {
        BroadcastOptions::socket(&self.details.id)
    }

    /// Sends `event` with `args` to the socket.
    pub fn emit(&self, event: &str, args: impl Serialize) -> Result<(), Error> {
        crate::BroadcastOperator::new(self.ns.clone(), self.only()).emit(event, args)
    }

    /// The socket with a timeout, to ask it for an answer (Node's
    /// `remoteSocket.timeout(ms)`).
    pub fn timeout(&self, timeout: std::time::Duration) -> RemoteTimeout<'_> {
        RemoteTimeout {
            socket: self,
            timeout,
        }
    }

    /// Makes the socket join `rooms`.
    pub async fn join<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        let rooms = rooms.into_iter().map(Into::into).collect();
        Ok(self.ns.adapter().add_sockets(self.only(), rooms).await?)
    }

    /// Makes the socket leave `rooms`.
    pub async fn leave<R: Into<Room>>(
        &self,
        rooms: impl IntoIterator<Item = R>,
    ) -> Result<(), Error> {
        let rooms = rooms.into_iter().map(Into::into).collect();
        Ok(self.ns.adapter().del_sockets(self.only(), rooms).await?)
    }

    /// Disconnects the socket; with `close`, its whole connection too.
    pub async fn disconnect(&self, close: bool) -> Result<(), Error> {
        Ok(self
            .ns
            .adapter()
            .disconnect_sockets(self.only(), close)
            .await?)
    }
}

/// [`RemoteSocket::timeout`]: an emit that waits for the socket's answer.
#[derive(Debug)]
pub struct RemoteTimeout<'a> {
    socket: &'a RemoteSocket,
    timeout: std::time::Duration,
}

impl RemoteTimeout<'_> {
    /// Sends `event` with `args` and waits at most the timeout for the
    /// socket's answer, read as `T`, wherever the socket is connected
    /// (Node's `emitWithAck`). Fails with [`Error::AckTimeout`] when no
    /// answer came in time (or the socket was gone).
    pub async fn emit_with_ack<T: DeserializeOwned>(
        &self,
        event: &str,
        args: impl Serialize,
    ) -> Result<T, Error> {
        let socket = self.socket;
        let answers = crate::BroadcastOperator::new(socket.ns.clone(), socket.only())
            .timeout(self.timeout)
            .emit_with_ack::<T>(event, args)
            .await?;
        match answers.collect_all().await?.pop() {
            Some(answer) => Ok(answer),
            None => Err(Error::AckTimeout {
                answered: 0,
                expected: 1,
            }),
        }
    }
}

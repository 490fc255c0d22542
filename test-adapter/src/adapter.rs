//! The recording adapter: rooms of one server, and a log line per call.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_trait::async_trait;
use socketio_adapter::{
    AckSender, Adapter, AdapterFactory, BroadcastOptions, Error, LocalSockets, PersistedSession,
    RestoredSession, Room, RoomEvent, RoomListener, SocketDetails, SocketId,
};
use socketio_parser::{Packet, Value};

use crate::rooms::Rooms;
use crate::Log;

/// An adapter for a single server that records every call it gets.
///
/// Membership lives under one [`Mutex`], indexed by room and by socket;
/// the lock is released before the adapter calls the namespace's
/// [`LocalSockets`] or the room listeners, so they may call back into it.
///
/// Each call adds one line to the [`Log`]; lists of rooms and sockets are
/// sorted and written `[a, b]`:
///
/// | call | line |
/// |---|---|
/// | created by the factory | `create <nsp>` |
/// | `init`, `close` | `init <nsp>`, `close <nsp>` |
/// | `add_all` | `add_all <id> [rooms]` |
/// | `del`, `del_all` | `del <id> <room>`, `del_all <id>` |
/// | `socket_rooms`, `sockets`, `rooms` | `socket_rooms <id>`, `sockets [rooms]`, `rooms` |
/// | `broadcast` | `broadcast rooms=[..] except=[..]` and the flags that are not the default (` local`, ` volatile`, ` uncompressed`, ` timeout=<duration>`) |
/// | `broadcast_with_ack`, `fetch_sockets` | the same after their name |
/// | `add_sockets`, `del_sockets` | the same, then ` join=[..]` or ` leave=[..]` |
/// | `disconnect_sockets` | the same, then ` close=<bool>` |
/// | `server_side_emit` | `server_side_emit <event>` |
/// | `server_count`, `on_room_event` | their name |
/// | `persist_session`, `restore_session` | `persist_session <sid>`, `restore_session <pid>` |
pub struct RecordingAdapter {
    /// The namespace's name, read when the adapter was created.
    nsp: String,
    sockets: Weak<dyn LocalSockets>,
    rooms: Mutex<Rooms>,
    listeners: Mutex<Vec<RoomListener>>,
    log: Log,
}

impl fmt::Debug for RecordingAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingAdapter")
            .field("nsp", &self.nsp)
            .field("rooms", &*lock(&self.rooms))
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl RecordingAdapter {
    /// An adapter for the namespace `sockets` belongs to, recording into
    /// `log`. Records `create <nsp>` (`?` if the namespace is already gone).
    pub fn new(sockets: Weak<dyn LocalSockets>, log: Log) -> Self {
        let nsp = sockets
            .upgrade()
            .map_or_else(|| "?".to_owned(), |s| s.namespace().to_owned());
        log.push(format!("create {nsp}"));
        Self {
            nsp,
            sockets,
            rooms: Mutex::new(Rooms::default()),
            listeners: Mutex::new(Vec::new()),
            log,
        }
    }

    /// A factory for the server's builder, and the log that every adapter
    /// it creates (one per namespace) records into.
    pub fn factory() -> (impl AdapterFactory, Log) {
        let log = Log::new();
        let shared = log.clone();
        let factory = move |sockets: Weak<dyn LocalSockets>| {
            Arc::new(Self::new(sockets, shared.clone())) as Arc<dyn Adapter>
        };
        (factory, log)
    }

    /// The namespace's local sockets, while the namespace exists.
    fn local(&self) -> Option<Arc<dyn LocalSockets>> {
        self.sockets.upgrade()
    }

    fn record(&self, entry: String) {
        self.log.push(entry);
    }

    fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        lock(&self.rooms).select(opts)
    }

    /// Changes the membership under the lock, then tells the listeners of
    /// the room events outside it.
    fn change(&self, f: impl FnOnce(&mut Rooms, &mut Vec<RoomEvent>)) {
        let mut events = Vec::new();
        f(&mut lock(&self.rooms), &mut events);
        if events.is_empty() {
            return;
        }
        let listeners = lock(&self.listeners).clone();
        for event in &events {
            for listener in &listeners {
                listener(event);
            }
        }
    }
}

#[async_trait]
impl Adapter for RecordingAdapter {
    async fn init(&self) -> Result<(), Error> {
        self.record(format!("init {}", self.nsp));
        Ok(())
    }

    async fn close(&self) -> Result<(), Error> {
        self.record(format!("close {}", self.nsp));
        *lock(&self.rooms) = Rooms::default();
        Ok(())
    }

    fn add_all(&self, id: &SocketId, rooms: &[Room]) {
        self.record(format!("add_all {id} {}", list(rooms)));
        self.change(|m, events| {
            for room in rooms {
                m.join(id, room, events);
            }
        });
    }

    fn del(&self, id: &SocketId, room: &Room) {
        self.record(format!("del {id} {room}"));
        self.change(|m, events| m.leave(id, room, events));
    }

    fn del_all(&self, id: &SocketId) {
        self.record(format!("del_all {id}"));
        self.change(|m, events| m.leave_all(id, events));
    }

    fn socket_rooms(&self, id: &SocketId) -> HashSet<Room> {
        self.record(format!("socket_rooms {id}"));
        lock(&self.rooms).of(id)
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> HashSet<SocketId> {
        self.record(format!("sockets {}", list(rooms)));
        let opts = BroadcastOptions {
            rooms: rooms.clone(),
            ..BroadcastOptions::default()
        };
        self.select(&opts).into_iter().collect()
    }

    fn rooms(&self) -> HashSet<Room> {
        self.record("rooms".to_owned());
        lock(&self.rooms).names()
    }

    fn broadcast(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), Error> {
        self.record(format!("broadcast {}", selection(&opts)));
        // Every socket is local: `opts.flags.local` changes nothing, the
        // other flags are the namespace's business.
        let targets = self.select(&opts);
        if let Some(sockets) = self.local() {
            sockets.deliver(&targets, &packet, &opts.flags);
        }
        Ok(())
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        acks: AckSender,
    ) -> Result<(), Error> {
        self.record(format!("broadcast_with_ack {}", selection(&opts)));
        let targets = self.select(&opts);
        let sent = self.local().map_or(0, |sockets| {
            sockets.deliver_with_ack(&targets, &packet, &opts.flags, acks.clone())
        });
        // One server: one count.
        acks.expect(sent);
        Ok(())
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<SocketDetails>, Error> {
        self.record(format!("fetch_sockets {}", selection(&opts)));
        let targets = self.select(&opts);
        Ok(self
            .local()
            .map(|sockets| sockets.details(&targets))
            .unwrap_or_default())
    }

    async fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        self.record(format!(
            "add_sockets {} join={}",
            selection(&opts),
            list(&rooms)
        ));
        let targets = self.select(&opts);
        self.change(|m, events| {
            for id in &targets {
                for room in &rooms {
                    m.join(id, room, events);
                }
            }
        });
        Ok(())
    }

    async fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) -> Result<(), Error> {
        self.record(format!(
            "del_sockets {} leave={}",
            selection(&opts),
            list(&rooms)
        ));
        let targets = self.select(&opts);
        self.change(|m, events| {
            for id in &targets {
                for room in &rooms {
                    m.leave(id, room, events);
                }
            }
        });
        Ok(())
    }

    async fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) -> Result<(), Error> {
        self.record(format!(
            "disconnect_sockets {} close={close}",
            selection(&opts)
        ));
        let targets = self.select(&opts);
        if let Some(sockets) = self.local() {
            sockets.disconnect(&targets, close);
        }
        Ok(())
    }

    async fn server_side_emit(
        &self,
        args: Vec<Value>,
        acks: Option<AckSender>,
    ) -> Result<(), Error> {
        let event = args.first().and_then(Value::as_str).unwrap_or("?");
        self.record(format!("server_side_emit {event}"));
        // There is no other server to ask.
        if let Some(acks) = acks {
            acks.expect(0);
        }
        Ok(())
    }

    async fn server_count(&self) -> Result<usize, Error> {
        self.record("server_count".to_owned());
        Ok(1)
    }

    async fn persist_session(&self, session: PersistedSession) -> Result<(), Error> {
        // Without connection state recovery nothing is kept.
        self.record(format!("persist_session {}", session.sid));
        Ok(())
    }

    async fn restore_session(
        &self,
        pid: &str,
        _offset: &str,
    ) -> Result<Option<RestoredSession>, Error> {
        self.record(format!("restore_session {pid}"));
        Ok(None)
    }

    fn on_room_event(&self, listener: RoomListener) {
        self.record("on_room_event".to_owned());
        lock(&self.listeners).push(listener);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Room or socket names, sorted: `[a, b]`.
fn list<'a, T: AsRef<str> + 'a>(names: impl IntoIterator<Item = &'a T>) -> String {
    let mut names: Vec<&str> = names.into_iter().map(AsRef::as_ref).collect();
    names.sort_unstable();
    format!("[{}]", names.join(", "))
}

/// `rooms=[..] except=[..]`, then the flags that are not the default.
fn selection(opts: &BroadcastOptions) -> String {
    let mut line = format!("rooms={} except={}", list(&opts.rooms), list(&opts.except));
    let flags = &opts.flags;
    if flags.local {
        line.push_str(" local");
    }
    if flags.volatile {
        line.push_str(" volatile");
    }
    if !flags.compress {
        line.push_str(" uncompressed");
    }
    if let Some(timeout) = flags.timeout {
        line.push_str(&format!(" timeout={timeout:?}"));
    }
    line
}

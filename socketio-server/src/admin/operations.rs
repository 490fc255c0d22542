//! The operations the admin UI asks for (`emit`, `join`, `leave`,
//! `_disconnect`), on existing namespaces only; requests that do not fit
//! are ignored.

use socketio_parser::Value;

use crate::{Args, BroadcastOperator, Server, Socket};

/// The sockets a request is for: the namespace's, or those in the rooms
/// its filter names (a room, or a list of rooms, as Node's `in()` takes).
/// `None` for a request that does not fit: a missing namespace, or a
/// filter of another kind (never all sockets by mistake).
fn target(io: &Server, nsp: Option<&Value>, filter: Option<&Value>) -> Option<BroadcastOperator> {
    let ns = io.inner().existing_namespace(nsp?.as_str()?)?;
    match filter {
        None | Some(Value::Null) => Some(ns.broadcast()),
        Some(Value::String(room)) if room.is_empty() => Some(ns.broadcast()),
        Some(Value::String(room)) => Some(ns.to(room.as_str())),
        Some(Value::Array(rooms)) if !rooms.is_empty() => {
            rooms.iter().try_fold(ns.broadcast(), |target, room| {
                room.as_str().map(|room| target.to(room))
            })
        }
        Some(_) => None,
    }
}

/// Registers the operations on an admin UI's socket.
pub(super) fn register(io: &Server, socket: &Socket) {
    let server = io.clone();
    socket.on("emit", move |Args(args): Args| {
        let server = server.clone();
        async move {
            let (Some(target), Some(event)) = (
                target(&server, args.first(), args.get(1)),
                args.get(2).and_then(Value::as_str),
            ) else {
                return;
            };
            let rest = Args(args.get(3..).unwrap_or_default().to_vec());
            if let Err(e) = target.emit(event, rest) {
                tracing::debug!(error = %e, "the admin UI's emit failed");
            }
        }
    });
    for (event, join) in [("join", true), ("leave", false)] {
        let server = io.clone();
        socket.on(event, move |Args(args): Args| {
            let server = server.clone();
            async move {
                let (Some(target), Some(room)) = (
                    target(&server, args.first(), args.get(2)),
                    args.get(1).and_then(Value::as_str),
                ) else {
                    return;
                };
                let done = if join {
                    target.sockets_join([room]).await
                } else {
                    target.sockets_leave([room]).await
                };
                if let Err(e) = done {
                    tracing::debug!(error = %e, join, "the admin UI's join or leave failed");
                }
            }
        });
    }
    let server = io.clone();
    socket.on("_disconnect", move |Args(args): Args| {
        let server = server.clone();
        async move {
            let Some(target) = target(&server, args.first(), args.get(2)) else {
                return;
            };
            let close = matches!(args.get(1), Some(Value::Bool(true)));
            if let Err(e) = target.disconnect_sockets(close).await {
                tracing::debug!(error = %e, "the admin UI's disconnect failed");
            }
        }
    });
}

//! What comes from the other servers (`onMessage` of the `ClusterAdapter`):
//! broadcasts and membership changes to apply here, requests to answer,
//! answers to our own requests. Every request is answered exactly once.

use std::sync::Arc;

use socketio_adapter::{ack_channel, AckEvent, Adapter, BroadcastOptions, Room};
use socketio_parser::{Packet, Value};

use super::{decode_packet, Cluster, ClusterMessage, Core, MessageType, Pending};
use crate::lock;
use crate::message::{as_u64, decode_options, decode_socket, encode_socket, object, rooms};

/// A message from another server to `cluster` (from a stream, with its
/// offset, or over PUB/SUB).
pub(crate) fn on_message<C: Cluster>(
    cluster: &Arc<C>,
    message: ClusterMessage,
    offset: Option<&str>,
) {
    let core = cluster.core();
    if message.uid == core.uid || message.nsp != core.nsp {
        return;
    }
    let local = &core.local;
    let opts = || decode_options(message.field("opts"));
    let rooms = || -> Vec<Room> { rooms(message.field("rooms")).into_iter().collect() };
    let request_id = message
        .field("requestId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match message.kind {
        MessageType::Broadcast => {
            let packet = match decode_packet(message.field("packet"), &core.nsp) {
                Ok(p) => p,
                Err(e) => return tracing::debug!(error = %e, "broadcast ignored"),
            };
            match request_id {
                Some(id) => answer_broadcast_with_ack(cluster, &message.uid, id, packet, opts()),
                None => cluster.on_broadcast(packet, opts(), offset),
            }
        }
        MessageType::SocketsJoin => {
            let rooms = rooms();
            for id in local.select(&opts()) {
                local.add_all(&id, &rooms);
            }
        }
        MessageType::SocketsLeave => {
            let rooms = rooms();
            for id in local.select(&opts()) {
                for room in &rooms {
                    local.del(&id, room);
                }
            }
        }
        MessageType::DisconnectSockets => {
            let close = matches!(message.field("close"), Some(Value::Bool(true)));
            let targets = local.select(&opts());
            if let Some(sockets) = local.local() {
                sockets.disconnect(&targets, close);
            }
        }
        MessageType::FetchSockets => {
            let targets = local.select(&opts());
            let sockets = local
                .local()
                .map(|s| s.details(&targets))
                .unwrap_or_default();
            cluster.respond(
                &message.uid,
                core.message(
                    MessageType::FetchSocketsResponse,
                    object([
                        ("requestId", Value::from(request_id.unwrap_or_default())),
                        (
                            "sockets",
                            Value::Array(sockets.iter().map(encode_socket).collect()),
                        ),
                    ]),
                ),
            );
        }
        MessageType::ServerSideEmit => {
            let args = match message.field("packet") {
                Some(Value::Array(items)) => items.clone(),
                _ => return,
            };
            answer_server_side_emit(cluster, &message.uid, request_id, args);
        }
        MessageType::FetchSocketsResponse
        | MessageType::ServerSideEmitResponse
        | MessageType::BroadcastClientCount
        | MessageType::BroadcastAck => on_response(core, &message, request_id),
        MessageType::InitialHeartbeat | MessageType::Heartbeat | MessageType::AdapterClose => {}
    }
}

/// An answer `{requestId, packet}` of kind `kind` to server `requester`.
fn answer<C: Cluster>(
    cluster: &C,
    requester: &str,
    kind: MessageType,
    request_id: &str,
    args: Vec<Value>,
) {
    // Only the first argument crosses the cluster, as in Node.
    let first = args.into_iter().next().unwrap_or(Value::Null);
    cluster.respond(
        requester,
        cluster.core().message(
            kind,
            object([("requestId", Value::from(request_id)), ("packet", first)]),
        ),
    );
}

fn answer_server_side_emit<C: Cluster>(
    cluster: &Arc<C>,
    requester: &str,
    request_id: Option<String>,
    args: Vec<Value>,
) {
    let core = cluster.core();
    let Some(sockets) = core.local.local() else {
        return;
    };
    let Some(request_id) = request_id else {
        sockets.server_side_emit(args, None);
        return;
    };
    let (acks, mut answers) = ack_channel();
    sockets.server_side_emit(args, Some(acks));
    let cluster2 = cluster.clone();
    let requester = requester.to_owned();
    core.spawn(async move {
        while let Some(event) = answers.recv().await {
            if let AckEvent::Answer(args) = event {
                answer(
                    &*cluster2,
                    &requester,
                    MessageType::ServerSideEmitResponse,
                    &request_id,
                    args,
                );
                return;
            }
        }
    });
}

fn answer_broadcast_with_ack<C: Cluster>(
    cluster: &Arc<C>,
    requester: &str,
    request_id: String,
    packet: Packet,
    opts: BroadcastOptions,
) {
    let core = cluster.core();
    let timeout = opts.flags.timeout.unwrap_or(core.requests_timeout);
    let (acks, mut answers) = ack_channel();
    let targets = core.local.select(&opts);
    let sent = match core.local.local() {
        Some(sockets) => sockets.deliver_with_ack(&targets, &packet, &opts.flags, acks),
        None => 0,
    };
    cluster.respond(
        requester,
        core.message(
            MessageType::BroadcastClientCount,
            object([
                ("requestId", Value::from(request_id.as_str())),
                ("clientCount", Value::from(sent as u64)),
            ]),
        ),
    );
    let cluster2 = cluster.clone();
    let requester = requester.to_owned();
    core.spawn(async move {
        let relay = async {
            while let Some(event) = answers.recv().await {
                if let AckEvent::Answer(args) = event {
                    answer(
                        &*cluster2,
                        &requester,
                        MessageType::BroadcastAck,
                        &request_id,
                        args,
                    );
                }
            }
        };
        let _ = tokio::time::timeout(timeout, relay).await;
    });
}

fn on_response(core: &Core, message: &ClusterMessage, request_id: Option<String>) {
    let Some(request_id) = request_id else { return };
    let first = || vec![message.field("packet").cloned().unwrap_or(Value::Null)];
    let pending = lock(&core.pending);
    match (pending.get(&request_id), message.kind) {
        (Some(Pending::Fetch(tx)), MessageType::FetchSocketsResponse) => {
            let sockets = match message.field("sockets") {
                Some(Value::Array(items)) => items.iter().filter_map(decode_socket).collect(),
                _ => Vec::new(),
            };
            let _ = tx.send(sockets);
        }
        (Some(Pending::ServerSideEmit(acks)), MessageType::ServerSideEmitResponse) => {
            acks.answer(first());
        }
        (Some(Pending::BroadcastAck { acks, counted }), MessageType::BroadcastClientCount) => {
            let n = message.field("clientCount").and_then(as_u64).unwrap_or(0);
            acks.expect(usize::try_from(n).unwrap_or(0));
            let _ = counted.send(());
        }
        (Some(Pending::BroadcastAck { acks, .. }), MessageType::BroadcastAck) => {
            acks.answer(first());
        }
        _ => {}
    }
}

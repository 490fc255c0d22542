//! What comes from the other servers: stream entries and PUB/SUB messages
//! to apply here, requests to answer, answers to our own requests.

use std::sync::Arc;

use socketio_adapter::{ack_channel, AckEvent, Adapter, BroadcastOptions, Room};
use socketio_parser::{Packet, Value};

use super::adapter::{lock, Pending, Shared};
use super::{decode_packet, ClusterMessage, MessageType};
use crate::message::{as_u64, decode_options, decode_socket, encode_socket, object, rooms};

impl Shared {
    /// A message from another server (from the stream, with its offset, or
    /// over PUB/SUB).
    pub(super) fn on_message(self: &Arc<Self>, message: ClusterMessage, offset: Option<&str>) {
        if message.uid == self.uid || message.nsp != self.nsp {
            return;
        }
        let opts = || decode_options(message.field("opts"));
        let rooms = || -> Vec<Room> { rooms(message.field("rooms")).into_iter().collect() };
        let request_id = message
            .field("requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match message.kind {
            MessageType::Broadcast => {
                let mut packet = match decode_packet(message.field("packet"), &self.nsp) {
                    Ok(p) => p,
                    Err(e) => return tracing::debug!(error = %e, "broadcast ignored"),
                };
                let opts = opts();
                match request_id {
                    Some(id) => self.answer_broadcast_with_ack(&message.uid, id, packet, opts),
                    None => {
                        if let Some(offset) = offset {
                            self.add_offset(&mut packet, &opts, offset);
                        }
                        self.deliver_here(packet, opts);
                    }
                }
            }
            MessageType::SocketsJoin => {
                let rooms = rooms();
                for id in self.local.select(&opts()) {
                    self.local.add_all(&id, &rooms);
                }
            }
            MessageType::SocketsLeave => {
                let rooms = rooms();
                for id in self.local.select(&opts()) {
                    for room in &rooms {
                        self.local.del(&id, room);
                    }
                }
            }
            MessageType::DisconnectSockets => {
                let close = matches!(message.field("close"), Some(Value::Bool(true)));
                let targets = self.local.select(&opts());
                if let Some(sockets) = self.local.local() {
                    sockets.disconnect(&targets, close);
                }
            }
            MessageType::FetchSockets => {
                let targets = self.local.select(&opts());
                let sockets = self
                    .local
                    .local()
                    .map(|s| s.details(&targets))
                    .unwrap_or_default();
                self.respond(
                    &message.uid,
                    MessageType::FetchSocketsResponse,
                    object([
                        ("requestId", Value::from(request_id.unwrap_or_default())),
                        (
                            "sockets",
                            Value::Array(sockets.iter().map(encode_socket).collect()),
                        ),
                    ]),
                );
            }
            MessageType::ServerSideEmit => {
                let args = match message.field("packet") {
                    Some(Value::Array(items)) => items.clone(),
                    _ => return,
                };
                self.answer_server_side_emit(&message.uid, request_id, args);
            }
            MessageType::FetchSocketsResponse
            | MessageType::ServerSideEmitResponse
            | MessageType::BroadcastClientCount
            | MessageType::BroadcastAck => self.on_response(&message, request_id),
            MessageType::InitialHeartbeat | MessageType::Heartbeat | MessageType::AdapterClose => {}
        }
    }

    fn answer_server_side_emit(
        self: &Arc<Self>,
        requester: &str,
        request_id: Option<String>,
        args: Vec<Value>,
    ) {
        let Some(sockets) = self.local.local() else {
            return;
        };
        let Some(request_id) = request_id else {
            sockets.server_side_emit(args, None);
            return;
        };
        let (acks, mut answers) = ack_channel();
        sockets.server_side_emit(args, Some(acks));
        let shared = self.clone();
        let requester = requester.to_owned();
        self.spawn(async move {
            while let Some(event) = answers.recv().await {
                if let AckEvent::Answer(args) = event {
                    shared.respond(
                        &requester,
                        MessageType::ServerSideEmitResponse,
                        object([
                            ("requestId", Value::from(request_id.as_str())),
                            ("packet", args.into_iter().next().unwrap_or(Value::Null)),
                        ]),
                    );
                    return;
                }
            }
        });
    }

    fn answer_broadcast_with_ack(
        self: &Arc<Self>,
        requester: &str,
        request_id: String,
        packet: Packet,
        opts: BroadcastOptions,
    ) {
        let timeout = opts
            .flags
            .timeout
            .unwrap_or(self.hub.config.requests_timeout);
        let (acks, mut answers) = ack_channel();
        let targets = self.local.select(&opts);
        let sent = match self.local.local() {
            Some(sockets) => sockets.deliver_with_ack(&targets, &packet, &opts.flags, acks),
            None => 0,
        };
        self.respond(
            requester,
            MessageType::BroadcastClientCount,
            object([
                ("requestId", Value::from(request_id.as_str())),
                ("clientCount", Value::from(sent as u64)),
            ]),
        );
        let shared = self.clone();
        let requester = requester.to_owned();
        self.spawn(async move {
            let relay = async {
                while let Some(event) = answers.recv().await {
                    if let AckEvent::Answer(args) = event {
                        shared.respond(
                            &requester,
                            MessageType::BroadcastAck,
                            object([
                                ("requestId", Value::from(request_id.as_str())),
                                ("packet", args.into_iter().next().unwrap_or(Value::Null)),
                            ]),
                        );
                    }
                }
            };
            let _ = tokio::time::timeout(timeout, relay).await;
        });
    }

    fn on_response(&self, message: &ClusterMessage, request_id: Option<String>) {
        let Some(request_id) = request_id else { return };
        let pending = lock(&self.pending);
        match (pending.get(&request_id), message.kind) {
            (Some(Pending::Fetch(tx)), MessageType::FetchSocketsResponse) => {
                let sockets = match message.field("sockets") {
                    Some(Value::Array(items)) => items.iter().filter_map(decode_socket).collect(),
                    _ => Vec::new(),
                };
                let _ = tx.send(sockets);
            }
            (Some(Pending::ServerSideEmit(acks)), MessageType::ServerSideEmitResponse) => {
                acks.answer(vec![message
                    .field("packet")
                    .cloned()
                    .unwrap_or(Value::Null)]);
            }
            (Some(Pending::BroadcastAck { acks, counted }), MessageType::BroadcastClientCount) => {
                let n = message.field("clientCount").and_then(as_u64).unwrap_or(0);
                acks.expect(usize::try_from(n).unwrap_or(0));
                let _ = counted.send(());
            }
            (Some(Pending::BroadcastAck { acks, .. }), MessageType::BroadcastAck) => {
                acks.answer(vec![message
                    .field("packet")
                    .cloned()
                    .unwrap_or(Value::Null)]);
            }
            _ => {}
        }
    }
}

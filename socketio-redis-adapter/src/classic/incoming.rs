//! What comes from the other servers: broadcasts to deliver here,
//! requests to answer, and answers to our own requests.

use std::sync::Arc;

use bytes::Bytes;
use socketio_adapter::{ack_channel, AckEvent, Adapter, BroadcastOptions, SocketId};
use socketio_parser::{encode_msgpack, Value};

use super::{Pending, Shared};
use crate::lock;
use crate::message::{self, as_u64, object, Request, RequestType};

impl Shared {
    pub(super) fn on_message(self: &Arc<Self>, channel: &str, payload: Bytes) {
        if channel == self.channels.request {
            match Request::decode(payload) {
                Ok(request) => self.on_request(request),
                Err(e) => tracing::debug!(error = %e, "request ignored"),
            }
        } else if channel == self.channels.response || channel == self.channels.own_response {
            match message::decode_any(payload) {
                Ok(response) => self.on_response(&response),
                Err(e) => tracing::debug!(error = %e, "response ignored"),
            }
        } else if let Some(rest) = channel.strip_prefix(self.channels.broadcast.as_str()) {
            let room = rest.strip_suffix('#').unwrap_or(rest);
            self.on_broadcast(room, payload);
        }
    }

    fn on_broadcast(&self, room: &str, payload: Bytes) {
        // As Node: a broadcast to one room this server has no member of is
        // dropped before it is decoded.
        if !room.is_empty() && !self.local.has_room(room) {
            return;
        }
        match message::decode_broadcast(payload, &self.nsp) {
            Ok((uid, _, _)) if uid == self.uid => {}
            Ok((_, packet, mut opts)) => {
                opts.flags.local = true;
                let _ = self.local.broadcast(packet, opts);
            }
            Err(e) => tracing::debug!(error = %e, "broadcast ignored"),
        }
    }

    fn on_request(self: &Arc<Self>, request: Request) {
        let own = request.uid.as_deref() == Some(self.uid.as_str());
        let answer_to = self.response_channel(request.uid.as_deref());
        let request_id = request.request_id.clone();
        let reply = |rest: Vec<(&str, Value)>| {
            let mut fields = vec![(
                "requestId".to_owned(),
                Value::from(request_id.clone().unwrap_or_default()),
            )];
            fields.extend(rest.into_iter().map(|(k, v)| (k.to_owned(), v)));
            self.publish(answer_to.clone(), message::json(&Value::Object(fields)));
        };
        match request.kind {
            // Our own requests: we applied them when we sent them.
            _ if own => {}
            RequestType::Sockets => {
                let opts = BroadcastOptions {
                    rooms: request.rooms().into_iter().collect(),
                    ..BroadcastOptions::default()
                };
                let ids = self.local.select(&opts);
                reply(vec![(
                    "sockets",
                    Value::Array(ids.iter().map(|id| Value::from(id.as_str())).collect()),
                )]);
            }
            RequestType::AllRooms => {
                let mut rooms: Vec<String> = self
                    .local
                    .rooms()
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect();
                rooms.sort_unstable();
                reply(vec![(
                    "rooms",
                    Value::Array(rooms.into_iter().map(Value::from).collect()),
                )]);
            }
            RequestType::RemoteJoin | RequestType::RemoteLeave => {
                let join = request.kind == RequestType::RemoteJoin;
                if let (Some(sid), Some(room)) = (request.sid(), request.room()) {
                    // The form of adapters before 8.0: one socket, answered.
                    if self.local.socket_rooms(&sid).is_empty() {
                        return;
                    }
                    if join {
                        self.local.add_all(&sid, &[room]);
                    } else {
                        self.local.del(&sid, &room);
                    }
                    reply(vec![]);
                    return;
                }
                let (opts, rooms) = (request.options(), request.rooms());
                for id in self.local.select(&opts) {
                    if join {
                        self.local.add_all(&id, &rooms);
                    } else {
                        for room in &rooms {
                            self.local.del(&id, room);
                        }
                    }
                }
            }
            RequestType::RemoteDisconnect => {
                let targets: Vec<SocketId> = match request.sid() {
                    Some(sid) => vec![sid],
                    None => self.local.select(&request.options()),
                };
                let legacy = request.sid().is_some();
                if legacy && self.local.socket_rooms(&targets[0]).is_empty() {
                    return;
                }
                if let Some(sockets) = self.local.local() {
                    sockets.disconnect(&targets, request.close());
                }
                if legacy {
                    reply(vec![]);
                }
            }
            RequestType::RemoteFetch => {
                let targets = self.local.select(&request.options());
                let sockets = self
                    .local
                    .local()
                    .map(|s| s.details(&targets))
                    .unwrap_or_default();
                reply(vec![(
                    "sockets",
                    Value::Array(sockets.iter().map(message::encode_socket).collect()),
                )]);
            }
            RequestType::ServerSideEmit => self.answer_server_side_emit(&request),
            RequestType::Broadcast => self.answer_broadcast_with_ack(&request, answer_to),
            RequestType::BroadcastClientCount | RequestType::BroadcastAck => {}
        }
    }

    /// Hands another server's `serverSideEmit` to this server's handlers;
    /// with an ack, the first answer goes back on the shared response
    /// channel (as Node sends it).
    fn answer_server_side_emit(self: &Arc<Self>, request: &Request) {
        let Some(sockets) = self.local.local() else {
            return;
        };
        let Some(request_id) = request.request_id.clone() else {
            sockets.server_side_emit(request.data(), None);
            return;
        };
        let (acks, mut answers) = ack_channel();
        sockets.server_side_emit(request.data(), Some(acks));
        let shared = self.clone();
        self.spawn(async move {
            while let Some(event) = answers.recv().await {
                if let AckEvent::Answer(args) = event {
                    let body = object([
                        ("type", Value::from(RequestType::ServerSideEmit as u64)),
                        ("requestId", Value::from(request_id.as_str())),
                        ("data", args.into_iter().next().unwrap_or(Value::Null)),
                    ]);
                    shared.publish(shared.channels.response.clone(), message::json(&body));
                    return;
                }
            }
        });
    }

    /// Runs another server's broadcast with acks here: first the count of
    /// clients it went to (even 0: the sender waits for every server's),
    /// then each client's answer.
    fn answer_broadcast_with_ack(self: &Arc<Self>, request: &Request, answer_to: String) {
        let Some(request_id) = request.request_id.clone() else {
            return;
        };
        let packet = match request.packet(&self.nsp) {
            Ok(packet) => packet,
            Err(e) => {
                tracing::debug!(error = %e, "acked broadcast ignored");
                return;
            }
        };
        // As Node: only the rooms and exceptions are kept, not the flags.
        let opts = request.options();
        let timeout = opts.flags.timeout.unwrap_or(self.config.requests_timeout);
        let opts = BroadcastOptions {
            flags: Default::default(),
            ..opts
        };
        let (acks, mut answers) = ack_channel();
        let targets = self.local.select(&opts);
        let sent = match self.local.local() {
            Some(sockets) => sockets.deliver_with_ack(&targets, &packet, &opts.flags, acks),
            None => 0,
        };
        let count = object([
            (
                "type",
                Value::from(RequestType::BroadcastClientCount as u64),
            ),
            ("requestId", Value::from(request_id.as_str())),
            ("clientCount", Value::from(sent as u64)),
        ]);
        self.publish(answer_to.clone(), message::json(&count));
        let shared = self.clone();
        self.spawn(async move {
            let answers = async {
                while let Some(event) = answers.recv().await {
                    if let AckEvent::Answer(args) = event {
                        let body = object([
                            ("type", Value::from(RequestType::BroadcastAck as u64)),
                            ("requestId", Value::from(request_id.as_str())),
                            ("packet", args.into_iter().next().unwrap_or(Value::Null)),
                        ]);
                        shared.publish(answer_to.clone(), encode_msgpack(&body));
                    }
                }
            };
            let _ = tokio::time::timeout(timeout, answers).await;
        });
    }

    fn on_response(&self, response: &Value) {
        let Some(request_id) = response.get("requestId").and_then(Value::as_str) else {
            return;
        };
        let kind = response.get("type").and_then(as_u64);
        let pending = lock(&self.pending);
        match pending.get(request_id) {
            Some(Pending::Collect(tx)) => {
                let _ = tx.send(response.clone());
            }
            Some(Pending::ServerSideEmit(acks))
                if kind == Some(RequestType::ServerSideEmit as u64) =>
            {
                acks.answer(vec![response.get("data").cloned().unwrap_or(Value::Null)]);
            }
            Some(Pending::BroadcastAck { acks, counted }) => match kind {
                Some(8) => {
                    let n = response.get("clientCount").and_then(as_u64).unwrap_or(0);
                    acks.expect(usize::try_from(n).unwrap_or(0));
                    let _ = counted.send(());
                }
                Some(9) => {
                    acks.answer(vec![response.get("packet").cloned().unwrap_or(Value::Null)])
                }
                _ => {}
            },
            Some(Pending::ServerSideEmit(_)) | None => {}
        }
    }
}

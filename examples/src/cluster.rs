//! The cluster node's behaviour (`shared/CLUSTER_NODE.md`), shared by
//! `examples/cluster_node.rs` and the interop test that runs it beside a
//! Node.js node: what each namespace does on each event.

use std::time::Duration;

use socketio_server::{AckSender, Args, Data, Namespace, Server, Socket, Value};

/// The node's label, which it reports.
#[derive(Debug, Clone)]
struct Name(String);

/// Serves `/` and `/custom` of `io` as the node named `name`.
pub fn serve_node(io: &Server, name: &str) {
    for nsp in ["/", "/custom"] {
        serve(&io.of(nsp), Name(name.to_owned()));
    }
}

/// The contract's behaviour, in namespace `nsp`.
fn serve(nsp: &Namespace, name: Name) {
    let me = name.clone();
    let ns = nsp.clone();
    nsp.on_server_side_emit(move |args, reply| {
        // `ping`(from, ...args[, callback]) from another node.
        let mut args = args.into_iter();
        if args.next().as_ref().and_then(Value::as_str) != Some("ping") {
            return;
        }
        let _ = ns.local().emit("server-side-seen", Args(args.collect()));
        if let Some(reply) = reply {
            reply.answer(vec![Value::from(me.0.as_str())]);
        }
    });
    let nsp_for_sockets = nsp.clone();
    nsp.on_connection(move |socket: Socket| {
        let (name, nsp) = (name.clone(), nsp_for_sockets.clone());
        async move { connected(socket, nsp, name) }
    });
}

fn error(e: impl std::fmt::Display) -> Value {
    Value::Object(vec![("error".into(), Value::from(e.to_string()))])
}

/// `nsp`, or its sockets in `room` when one is given.
fn within(nsp: &Namespace, room: &Value) -> socketio_server::BroadcastOperator {
    match room.as_str() {
        Some(room) => nsp.within(room.to_owned()),
        None => nsp.broadcast(),
    }
}

fn connected(socket: Socket, nsp: Namespace, name: Name) {
    if !socket.recovered() {
        let auth_name = socket
            .handshake()
            .auth
            .get("name")
            .cloned()
            .unwrap_or(Value::Null);
        socket.set_data(Value::Object(vec![
            ("node".into(), Value::from(name.0.as_str())),
            ("name".into(), auth_name),
        ]));
    }
    let _ = socket.emit("hello", name.0.as_str());

    socket.on(
        "join",
        |socket: Socket, Data(room): Data<String>, ack: AckSender| async move {
            socket.join([room]);
            // The ack says the other nodes' broadcasts to the room reach
            // this socket: the sharded adapter's subscription is made.
            let _ = match socket.namespace().adapter().settled().await {
                Ok(()) => ack.send(()),
                Err(e) => ack.send(error(e)),
            };
        },
    );
    socket.on(
        "to-room",
        |socket: Socket, Args(mut args): Args| async move {
            if args.is_empty() {
                return;
            }
            if let Value::String(room) = args.remove(0) {
                let _ = socket.to(room).emit("message-back", Args(args));
            }
        },
    );
    let ns = nsp.clone();
    socket.on("broadcast", move |args: Args| {
        let ns = ns.clone();
        async move {
            let _ = ns.emit("message-back", args);
        }
    });
    let ns = nsp.clone();
    socket.on("broadcast-local", move |args: Args| {
        let ns = ns.clone();
        async move {
            let _ = ns.local().emit("message-back", args);
        }
    });
    let ns = nsp.clone();
    socket.on("except-room", move |Args(mut args): Args| {
        let ns = ns.clone();
        async move {
            if args.is_empty() {
                return;
            }
            if let Value::String(room) = args.remove(0) {
                let _ = ns.except(room).emit("message-back", Args(args));
            }
        }
    });
    let ns = nsp.clone();
    socket.on("fetch-sockets", move |Args(args): Args, ack: AckSender| {
        let ns = ns.clone();
        async move {
            let room = args.into_iter().next().unwrap_or(Value::Null);
            let answer = match within(&ns, &room).fetch_sockets().await {
                Ok(mut sockets) => {
                    sockets.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
                    Value::Array(
                        sockets
                            .iter()
                            .map(|s| {
                                let mut rooms: Vec<&str> = s
                                    .rooms()
                                    .iter()
                                    .map(|r| r.as_str())
                                    .filter(|r| *r != s.id().as_str())
                                    .collect();
                                rooms.sort_unstable();
                                Value::Object(vec![
                                    ("id".into(), Value::from(s.id().as_str())),
                                    (
                                        "rooms".into(),
                                        Value::Array(rooms.into_iter().map(Value::from).collect()),
                                    ),
                                    ("data".into(), s.data_value().clone()),
                                ])
                            })
                            .collect(),
                    )
                }
                Err(e) => error(e),
            };
            let _ = ack.send(answer);
        }
    });
    let ns = nsp.clone();
    socket.on("count", move |ack: AckSender| {
        let ns = ns.clone();
        async move {
            let _ = match ns.fetch_sockets().await {
                Ok(sockets) => ack.send(sockets.len()),
                Err(e) => ack.send(error(e)),
            };
        }
    });
    let ns = nsp.clone();
    socket.on("all-rooms", move |ack: AckSender| {
        let ns = ns.clone();
        async move {
            let _ = match ns.adapter().all_rooms().await {
                Ok(rooms) => {
                    let mut rooms: Vec<String> =
                        rooms.iter().map(|r| r.as_str().to_owned()).collect();
                    rooms.sort_unstable();
                    ack.send(rooms)
                }
                Err(e) => ack.send(error(e)),
            };
        }
    });
    for (event, join) in [("sockets-join", true), ("sockets-leave", false)] {
        let ns = nsp.clone();
        socket.on(event, move |Args(args): Args, ack: AckSender| {
            let ns = ns.clone();
            async move {
                let room = args.first().cloned().unwrap_or(Value::Null);
                let Some(target) = args.get(1).and_then(Value::as_str).map(str::to_owned) else {
                    return;
                };
                let done = match join {
                    true => within(&ns, &room).sockets_join([target]).await,
                    false => within(&ns, &room).sockets_leave([target]).await,
                };
                // As for `join`: this node's subscriptions are made.
                let done = match done {
                    Ok(()) => ns.adapter().settled().await.map_err(Into::into),
                    Err(e) => Err(e),
                };
                let _ = match done {
                    Ok(()) => ack.send(()),
                    Err(e) => ack.send(error(e)),
                };
            }
        });
    }
    let ns = nsp.clone();
    socket.on(
        "disconnect-sockets",
        move |Args(args): Args, ack: AckSender| {
            let ns = ns.clone();
            async move {
                let room = args.first().cloned().unwrap_or(Value::Null);
                let _ = match within(&ns, &room).disconnect_sockets(false).await {
                    Ok(()) => ack.send(()),
                    Err(e) => ack.send(error(e)),
                };
            }
        },
    );
    let ns = nsp.clone();
    let me = name.clone();
    socket.on(
        "server-side-emit",
        move |Args(args): Args, ack: AckSender| {
            let (ns, me) = (ns.clone(), me.clone());
            async move {
                let mut payload = vec![Value::from(me.0.as_str())];
                payload.extend(args);
                if !ack.is_pending() {
                    let _ = ns.server_side_emit("ping", Args(payload)).await;
                    return;
                }
                let answers = match ns
                    .server_side_emit_with_ack::<Value>("ping", Args(payload))
                    .await
                {
                    Ok(stream) => stream.collect_all().await,
                    Err(e) => Err(e),
                };
                answer_sorted(&ack, answers);
            }
        },
    );
    let ns = nsp.clone();
    socket.on("broadcast-with-ack", move |args: Args, ack: AckSender| {
        let ns = ns.clone();
        async move {
            let answers = match ns
                .timeout(Duration::from_secs(2))
                .emit_with_ack::<Value>("question", args)
                .await
            {
                Ok(stream) => stream.collect_all().await,
                Err(e) => Err(e),
            };
            answer_sorted(&ack, answers);
        }
    });
}

/// Acks with the answers sorted, or `{error}` when they did not all come.
fn answer_sorted(ack: &AckSender, answers: Result<Vec<Value>, socketio_server::Error>) {
    let _ = match answers {
        Ok(answers) => ack.send(sorted(answers)),
        Err(e) => ack.send(error(e)),
    };
}

/// Answers in JavaScript's default sort order (by their string form).
fn sorted(mut answers: Vec<Value>) -> Vec<Value> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    answers.sort_by_key(text);
    answers
}

/// The behaviour of `examples/cluster.rs`, each of whose servers is named
/// by its `label`: a new socket hears `welcome`(label) and everyone hears
/// `online`(count of sockets in the whole cluster); `message`(text) goes to
/// every socket of the cluster as `message`({from, text}).
pub fn demo_sockets(io: &Server, label: &str) {
    let label = label.to_owned();
    let ns = io.of("/");
    let announce = ns.clone();
    io.on_connection(move |socket: Socket| {
        let (label, ns, announce) = (label.clone(), ns.clone(), announce.clone());
        async move {
            let _ = socket.emit("welcome", label.as_str());
            online(&announce).await;
            let to_all = ns.clone();
            let from = label.clone();
            socket.on("message", move |Data(text): Data<String>| {
                let (to_all, from) = (to_all.clone(), from.clone());
                async move {
                    let message = Value::Object(vec![
                        ("from".into(), Value::from(from.as_str())),
                        ("text".into(), Value::from(text)),
                    ]);
                    let _ = to_all.emit("message", message);
                }
            });
            let ns = ns.clone();
            socket.on_disconnect(move |_s: Socket, _reason| {
                let ns = ns.clone();
                async move { online(&ns).await }
            });
        }
    });
}

/// Tells every socket of the cluster how many there are.
async fn online(ns: &Namespace) {
    if let Ok(sockets) = ns.fetch_sockets().await {
        let _ = ns.emit("online", sockets.len());
    }
}

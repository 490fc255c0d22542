//! What a `ClusterAdapter` asks of the other servers, the same whichever
//! way it reaches them: acked broadcasts, fetchSockets, server-side emits,
//! and the membership changes (join, leave, disconnect) it applies on every
//! server. Each request waits for the servers Redis counts, at most for its
//! timeout, and then fails with [`Error::Timeout`], never hangs.

use socketio_adapter::{AckSender, Adapter, BroadcastOptions, Error, Room, SocketDetails};
use socketio_parser::{Packet, Value};
use tokio::sync::mpsc;

use super::{encode_packet, random_hex, Cluster, MessageType, Pending};
use crate::message::{encode_options, object};

fn room_values(rooms: &[Room]) -> Value {
    Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect())
}

/// A broadcast whose clients answer, on every server.
pub(crate) async fn broadcast_with_ack<C: Cluster>(
    cluster: &C,
    packet: Packet,
    opts: BroadcastOptions,
    acks: AckSender,
) -> Result<(), Error> {
    let core = cluster.core();
    if opts.flags.local {
        return core.local.broadcast_with_ack(packet, opts, acks).await;
    }
    let others = cluster.server_count().await?.saturating_sub(1);
    let timeout = opts.flags.timeout.unwrap_or(core.requests_timeout);
    let (counted, mut counts) = mpsc::unbounded_channel();
    if others > 0 {
        let request_id = random_hex();
        core.expect_answers(
            &request_id,
            Pending::BroadcastAck {
                acks: acks.clone(),
                counted,
            },
            timeout,
        );
        cluster.publish(core.message(
            MessageType::Broadcast,
            object([
                ("packet", encode_packet(&packet)),
                ("requestId", Value::from(request_id.as_str())),
                ("opts", encode_options(&opts)),
            ]),
        ));
    }
    core.local.broadcast_with_ack(packet, opts, acks).await?;
    let mut answered = 0;
    let all = tokio::time::timeout(timeout, async {
        while answered < others && counts.recv().await.is_some() {
            answered += 1;
        }
    })
    .await;
    all.map_err(|_| Error::Timeout {
        answered,
        expected: others,
    })
}

/// The sockets `opts` selects, on every server.
pub(crate) async fn fetch_sockets<C: Cluster>(
    cluster: &C,
    opts: BroadcastOptions,
) -> Result<Vec<SocketDetails>, Error> {
    let core = cluster.core();
    let mut sockets = core.local.fetch_sockets(opts.clone()).await?;
    if opts.flags.local {
        return Ok(sockets);
    }
    let others = cluster.server_count().await?.saturating_sub(1);
    if others == 0 {
        return Ok(sockets);
    }
    let request_id = random_hex();
    let timeout = opts.flags.timeout.unwrap_or(core.requests_timeout);
    let (tx, mut rx) = mpsc::unbounded_channel();
    core.expect_answers(&request_id, Pending::Fetch(tx), timeout);
    cluster.publish(core.message(
        MessageType::FetchSockets,
        object([
            ("opts", encode_options(&opts)),
            ("requestId", Value::from(request_id.as_str())),
        ]),
    ));
    let mut answered = 0;
    let _ = tokio::time::timeout(timeout, async {
        while answered < others {
            match rx.recv().await {
                Some(more) => {
                    sockets.extend(more);
                    answered += 1;
                }
                None => break,
            }
        }
    })
    .await;
    core.forget(&request_id);
    if answered < others {
        return Err(Error::Timeout {
            answered,
            expected: others,
        });
    }
    Ok(sockets)
}

/// Tells the other servers (unless `opts` says local) to apply a change
/// to the sockets `opts` selects: `{opts, <name>: value}` of kind `kind`,
/// waited for until Redis has it, as Node awaits its publish.
async fn tell_others<C: Cluster>(
    cluster: &C,
    opts: &BroadcastOptions,
    kind: MessageType,
    name: &str,
    value: Value,
) {
    if opts.flags.local {
        return;
    }
    let data = Value::Object(vec![
        ("opts".to_owned(), encode_options(opts)),
        (name.to_owned(), value),
    ]);
    cluster
        .publish_and_wait(cluster.core().message(kind, data))
        .await;
}

/// The sockets `opts` selects join `rooms`, on every server.
pub(crate) async fn add_sockets<C: Cluster>(
    cluster: &C,
    opts: BroadcastOptions,
    rooms: Vec<Room>,
) -> Result<(), Error> {
    let kind = MessageType::SocketsJoin;
    tell_others(cluster, &opts, kind, "rooms", room_values(&rooms)).await;
    cluster.core().local.add_sockets(opts, rooms).await
}

/// The sockets `opts` selects leave `rooms`, on every server.
pub(crate) async fn del_sockets<C: Cluster>(
    cluster: &C,
    opts: BroadcastOptions,
    rooms: Vec<Room>,
) -> Result<(), Error> {
    let kind = MessageType::SocketsLeave;
    tell_others(cluster, &opts, kind, "rooms", room_values(&rooms)).await;
    cluster.core().local.del_sockets(opts, rooms).await
}

/// The sockets `opts` selects are disconnected, on every server.
pub(crate) async fn disconnect_sockets<C: Cluster>(
    cluster: &C,
    opts: BroadcastOptions,
    close: bool,
) -> Result<(), Error> {
    let kind = MessageType::DisconnectSockets;
    tell_others(cluster, &opts, kind, "close", Value::Bool(close)).await;
    cluster.core().local.disconnect_sockets(opts, close).await
}

/// An event for the other servers' own handlers; with `acks`, their
/// answers (the first argument of each).
pub(crate) async fn server_side_emit<C: Cluster>(
    cluster: &C,
    args: Vec<Value>,
    acks: Option<AckSender>,
) -> Result<(), Error> {
    let core = cluster.core();
    let Some(acks) = acks else {
        cluster.publish(core.message(
            MessageType::ServerSideEmit,
            object([("packet", Value::Array(args))]),
        ));
        return Ok(());
    };
    let others = cluster.server_count().await?.saturating_sub(1);
    acks.expect(others);
    if others == 0 {
        return Ok(());
    }
    let request_id = random_hex();
    core.expect_answers(
        &request_id,
        Pending::ServerSideEmit(acks),
        core.requests_timeout,
    );
    cluster.publish(core.message(
        MessageType::ServerSideEmit,
        object([
            ("requestId", Value::from(request_id.as_str())),
            ("packet", Value::Array(args)),
        ]),
    ));
    Ok(())
}

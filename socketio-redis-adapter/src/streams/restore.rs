//! Connection state recovery across the cluster, as the streams adapter
//! 0.3 restores a session: the session taken from Redis (read and deleted
//! at once), the offset checked against the stream, then every broadcast
//! after it that was for the session's rooms, each ending with its offset.

use std::collections::HashSet;

use redis::streams::StreamRangeReply;
use socketio_adapter::{Error, RestoredSession, Room};
use socketio_parser::{Packet, Value};

use super::adapter::Shared;
use super::{decode_session, is_offset, next_offset};
use crate::broker;
use crate::cluster::{decode_packet, ClusterMessage};
use crate::message::decode_options;

/// Node reads at most this many ranges of the stream to restore a session.
const MAX_RESTORE_RANGES: usize = 100;

impl Shared {
    /// The session `pid`, and what it missed since `offset`, if it can be
    /// recovered.
    pub(super) async fn restore(
        &self,
        pid: &str,
        offset: &str,
    ) -> Result<Option<RestoredSession>, Error> {
        let shared = self;
        if shared.recovery().is_none() || !is_offset(offset) {
            return Ok(None);
        }
        let mut conn = shared.hub.commands().await?;
        let key = format!("{}{pid}", shared.hub.config.session_key_prefix);
        let (stored, _): (Option<String>, i64) = redis::pipe()
            .atomic()
            .get(&key)
            .del(&key)
            .query_async(&mut conn)
            .await
            .map_err(broker)?;
        let known: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&shared.stream)
            .arg(offset)
            .arg(offset)
            .query_async(&mut conn)
            .await
            .map_err(broker)?;
        let (Some(stored), false) = (stored, known.ids.is_empty()) else {
            return Ok(None);
        };
        let session = decode_session(&stored)?;
        let missed_packets = shared
            .entries_after(&mut conn, offset, &session.rooms)
            .await?;
        Ok(Some(RestoredSession {
            session,
            missed_packets,
        }))
    }

    /// The broadcasts of this namespace in the stream after `offset` that
    /// a socket in `rooms` would have received, each ending with its
    /// offset, at most [`MAX_RESTORE_RANGES`] reads of the stream.
    pub(super) async fn entries_after(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        offset: &str,
        rooms: &HashSet<Room>,
    ) -> Result<Vec<Packet>, Error> {
        let mut missed_packets = Vec::new();
        let mut offset = offset.to_owned();
        for _ in 0..MAX_RESTORE_RANGES {
            let Some(start) = next_offset(&offset) else {
                break;
            };
            let range: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&self.stream)
                .arg(start)
                .arg("+")
                .query_async(conn)
                .await
                .map_err(broker)?;
            if range.ids.is_empty() {
                break;
            }
            for entry in range.ids {
                let field = |name: &str| match entry.map.get(name) {
                    Some(redis::Value::BulkString(bytes)) => std::str::from_utf8(bytes).ok(),
                    _ => None,
                };
                if field("nsp") == Some(self.core.nsp.as_str()) && field("type") == Some("3") {
                    if let Ok(message) = ClusterMessage::decode_entry(field) {
                        let opts = decode_options(message.field("opts"));
                        if let Ok(mut packet) =
                            decode_packet(message.field("packet"), &self.core.nsp)
                        {
                            if opts.includes(rooms) {
                                if let Packet::Event { data, .. }
                                | Packet::BinaryEvent { data, .. } = &mut packet
                                {
                                    data.push(Value::from(entry.id.as_str()));
                                }
                                missed_packets.push(packet);
                            }
                        }
                    }
                }
                offset = entry.id;
            }
        }
        Ok(missed_packets)
    }

    /// As [`Shared::entries_after`], for a socket that recovered (nothing
    /// without recovery, or for an offset that is not a stream id).
    pub(super) async fn missed_since(
        &self,
        offset: &str,
        rooms: &HashSet<Room>,
    ) -> Result<Vec<Packet>, Error> {
        if self.recovery().is_none() || !is_offset(offset) {
            return Ok(Vec::new());
        }
        let mut conn = self.hub.commands().await?;
        self.entries_after(&mut conn, offset, rooms).await
    }
}

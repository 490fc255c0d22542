//! The shape each packet type's data must have, shared by every format.

use engineio_protocol::Str;

use crate::packet::{RESERVED_EVENTS, TYPE_NAMES};
use crate::{Error, Packet, Value};

/// Builds a packet from decoded parts, enforcing what socket.io-parser's
/// `isPayloadValid` enforces (and a little more: an EVENT needs a string
/// name, an ACK needs data and an id).
pub(crate) fn build_packet(
    type_id: u8,
    nsp: Str,
    id: Option<u64>,
    data: Option<Value>,
) -> Result<Packet, Error> {
    let packet_type = TYPE_NAMES
        .get(usize::from(type_id))
        .copied()
        .ok_or_else(|| Error::UnknownPacketType(type_id.to_string()))?;
    let invalid = |reason| Error::InvalidPayload {
        packet_type,
        reason,
    };
    if !nsp.starts_with('/') {
        return Err(Error::InvalidNamespace);
    }
    if id.is_some() && !matches!(type_id, 2 | 3 | 5 | 6) {
        return Err(Error::InvalidAckId);
    }
    Ok(match type_id {
        0 => match data {
            None | Some(Value::Object(_)) => Packet::Connect { nsp, data },
            Some(_) => return Err(invalid("the auth payload must be an object")),
        },
        1 => match data {
            None => Packet::Disconnect { nsp },
            Some(_) => return Err(invalid("DISCONNECT carries no data")),
        },
        2 | 5 => {
            let Some(Value::Array(data)) = data else {
                return Err(invalid("the data must be an array"));
            };
            match data.first() {
                Some(Value::String(name)) if RESERVED_EVENTS.contains(&name.as_str()) => {
                    return Err(Error::ReservedEventName(name.clone()));
                }
                Some(Value::String(_)) => {}
                Some(_) => return Err(invalid("the event name must be a string")),
                None => return Err(invalid("the data must start with the event name")),
            }
            if type_id == 2 {
                Packet::Event { nsp, id, data }
            } else {
                Packet::BinaryEvent { nsp, id, data }
            }
        }
        3 | 6 => {
            let id = id.ok_or(Error::InvalidAckId)?;
            let Some(Value::Array(data)) = data else {
                return Err(invalid("the data must be an array"));
            };
            if type_id == 3 {
                Packet::Ack { nsp, id, data }
            } else {
                Packet::BinaryAck { nsp, id, data }
            }
        }
        _ => match data {
            Some(data @ (Value::String(_) | Value::Object(_))) => {
                Packet::ConnectError { nsp, data }
            }
            _ => return Err(invalid("the data must be a string or an object")),
        },
    })
}

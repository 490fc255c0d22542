//! The text form of a packet: `<type>[<attachments>-][<nsp>,][<id>][<json>]`.

use engineio_protocol::{query_pairs, Str};

use crate::json::attachments::resolve_placeholders;
use crate::validate::build_packet;
use crate::{Error, Packet, ProtocolVersion, Value};

/// A decoded text packet, with the number of attachments still to come.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) type_id: u8,
    pub(crate) attachments: usize,
    pub(crate) nsp: Str,
    pub(crate) id: Option<u64>,
    pub(crate) data: Option<Value>,
}

/// Reads a text packet as socket.io-parser's `decodeString` does.
pub(crate) fn read_text(
    text: &Str,
    version: ProtocolVersion,
    max_attachments: usize,
) -> Result<Header, Error> {
    let bytes = text.as_bytes();
    let type_id = match bytes.first() {
        None => return Err(Error::EmptyPacket),
        Some(b @ b'0'..=b'6') => b - b'0',
        Some(_) => {
            let c = text.chars().next().map(String::from).unwrap_or_default();
            return Err(Error::UnknownPacketType(c));
        }
    };
    let mut i = 1;

    // BINARY_EVENT and BINARY_ACK: the number of attachments, then `-`.
    let mut attachments = 0;
    if type_id == 5 || type_id == 6 {
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || bytes.get(i + digits) != Some(&b'-') {
            return Err(Error::IllegalAttachments);
        }
        let announced = parse_u64(&bytes[i..i + digits]).ok_or(Error::IllegalAttachments)?;
        attachments = usize::try_from(announced).unwrap_or(usize::MAX);
        if attachments > max_attachments {
            return Err(Error::TooManyAttachments {
                announced: attachments,
                limit: max_attachments,
            });
        }
        i += digits + 1;
    }

    // The namespace, when it is not `/`: up to the next `,` or the end.
    let mut nsp = Str::from_static("/");
    if bytes.get(i) == Some(&b'/') {
        let end = bytes[i..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |p| i + p);
        nsp = text.slice_ref(&text[i..end]);
        i = (end + 1).min(bytes.len());
    }

    // The ack id: the digits that follow.
    let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let id = if digits > 0 {
        let id = parse_u64(&bytes[i..i + digits]).ok_or(Error::InvalidAckId)?;
        i += digits;
        Some(id)
    } else {
        None
    };

    // The rest is one JSON value, with nothing after it. socket.io-parser
    // reads whitespace here as an ack id of 0; we refuse it.
    if bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        return Err(Error::InvalidJson("whitespace before the payload".into()));
    }
    let data = if i < bytes.len() {
        let value: Value =
            serde_json::from_str(&text[i..]).map_err(|e| Error::InvalidJson(e.to_string()))?;
        Some(value)
    } else {
        None
    };

    // Protocol v4: `0/chat?token=abc` carries the query in the namespace;
    // Node's server reads it as the auth payload, and so do we.
    let (nsp, data) = match (version, type_id) {
        (ProtocolVersion::V4, 0) if nsp.contains('?') && data.is_none() => {
            let (path, query) = nsp.split_once('?').unwrap_or((&nsp, ""));
            let entries = query_pairs(query)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            (nsp.slice_ref(path), Some(Value::Object(entries)))
        }
        _ => (nsp, data),
    };
    Ok(Header {
        type_id,
        attachments,
        nsp,
        id,
        data,
    })
}

impl Header {
    /// The finished packet, once `buffers` holds every attachment.
    pub(crate) fn into_packet(self, buffers: &[bytes::Bytes]) -> Result<Packet, Error> {
        let data = match self.data {
            Some(mut data) if self.type_id == 5 || self.type_id == 6 => {
                resolve_placeholders(&mut data, buffers)?;
                Some(data)
            }
            data => data,
        };
        build_packet(self.type_id, self.nsp, self.id, data)
    }
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

//! Binary attachments: `{"_placeholder":true,"num":N}` in the JSON text,
//! the bytes in the frames that follow.

use bytes::Bytes;

use crate::{Error, Value};

/// Replaces every placeholder in `data` by the attachment it numbers.
///
/// As in socket.io-parser's `reconstructPacket`, an object whose
/// `_placeholder` is `true` is a placeholder; its `num` must be an integer
/// naming one of the received attachments.
pub(crate) fn resolve_placeholders(data: &mut Value, buffers: &[Bytes]) -> Result<(), Error> {
    match data {
        Value::Object(entries) => {
            let is_placeholder = entries
                .iter()
                .any(|(k, v)| k == "_placeholder" && *v == Value::Bool(true));
            if is_placeholder {
                let num = data
                    .get("num")
                    .and_then(|n| match n {
                        Value::Number(n) => n.as_u64(),
                        _ => None,
                    })
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|&n| n < buffers.len())
                    .ok_or(Error::InvalidPlaceholder)?;
                *data = Value::Binary(buffers[num].clone());
            } else {
                for (_, v) in entries {
                    resolve_placeholders(v, buffers)?;
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve_placeholders(v, buffers)?;
            }
        }
        _ => {}
    }
    Ok(())
}

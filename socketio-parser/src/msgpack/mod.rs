//! The msgpack wire format of the npm package `socket.io-msgpack-parser`:
//! each packet is one binary message, the msgpack encoding (by notepack.io)
//! of the object `{type, data, id, nsp}`, binary data inline.

mod read;
mod write;

use engineio_protocol::Message;

use crate::parser::{Decode, Encoded, Parser};
use crate::validate::build_packet;
use crate::{Error, Packet, Value};
use bytes::Bytes;

/// The msgpack wire format (protocol v5 only, as its npm package).
///
/// Packets carry binary inline, so BINARY_EVENT and BINARY_ACK are sent as
/// EVENT (`2`) and ACK (`3`), and decoded packets are never binary variants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsgPackParser;

impl Parser for MsgPackParser {
    fn encode(&self, packet: &Packet) -> Encoded {
        let mut out = Vec::with_capacity(64);
        write::write_packet(packet, &mut out);
        Encoded {
            head: Message::Binary(out.into()),
            attachments: Vec::new(),
        }
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::new(MsgPackDecoder)
    }
}

/// Encodes `value` as notepack.io (3.x) encodes the same JavaScript value:
/// the smallest integer forms, float64 for other numbers, binary as `bin`,
/// map keys in order. Node's cluster adapters (`@socket.io/redis-adapter`)
/// exchange messages in this encoding.
pub fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write::write_value(value, &mut out);
    out
}

/// Decodes one msgpack value that is the whole of `input`, reading what
/// notepack.io writes (`undefined` becomes `null`, binary stays binary).
pub fn decode_value(input: Bytes) -> Result<Value, Error> {
    read::read_value(input)
}

/// The msgpack decoder; every packet is a single binary message.
#[derive(Debug, Clone, Copy, Default)]
struct MsgPackDecoder;

impl Decode for MsgPackDecoder {
    fn handle_message(&mut self, message: Message) -> Result<Option<Packet>, Error> {
        let Message::Binary(data) = message else {
            return Err(Error::UnexpectedText);
        };
        let fields = read::read_packet(data)?;
        // socket.io-msgpack-parser's `checkPacket`: type 0 to 4, a string
        // namespace, data valid for the type, an integer id if any.
        if fields.type_id > 4 {
            return Err(Error::UnknownPacketType(fields.type_id.to_string()));
        }
        build_packet(fields.type_id, fields.nsp, fields.id, fields.data).map(Some)
    }
}

#[cfg(test)]
mod tests;

//! The [`Parser`] abstraction: how packets become frames and back.

use std::fmt::Debug;

use bytes::Bytes;
use engineio_protocol::Message;

use crate::{Error, Packet};

/// A wire format for Socket.IO packets.
///
/// The default is [`JsonParser`](crate::JsonParser), what every official
/// client speaks; [`MsgPackParser`](crate::MsgPackParser) (feature
/// `msgpack`) matches the npm package `socket.io-msgpack-parser`. A parser
/// is shared by every connection; each connection gets its own decoder.
pub trait Parser: Debug + Send + Sync + 'static {
    /// Encodes `packet` into the engine.io messages that carry it.
    fn encode(&self, packet: &Packet) -> Encoded;

    /// A fresh decoder for one connection.
    fn decoder(&self) -> Box<dyn Decode>;
}

/// The decoding state of one connection.
///
/// A packet may span several messages (a JSON BINARY_EVENT and its
/// attachments), so decoding is a state machine fed one message at a time.
pub trait Decode: Debug + Send {
    /// Takes one engine.io message. Returns the packet it completes, or
    /// `None` when more messages (attachments) are still expected.
    ///
    /// After an error the decoder is back in its initial state; the
    /// connection should be closed with a `parse error` all the same.
    fn handle_message(&mut self, message: Message) -> Result<Option<Packet>, Error>;
}

/// An encoded packet: the first message and the binary attachments that
/// follow it (always empty for formats that carry binary inline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The packet itself.
    pub head: Message,
    /// Binary attachments, each sent as its own binary message after `head`.
    pub attachments: Vec<Bytes>,
}

impl Encoded {
    /// Every message to send, in order.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        std::iter::once(self.head.clone())
            .chain(self.attachments.iter().cloned().map(Message::Binary))
    }
}

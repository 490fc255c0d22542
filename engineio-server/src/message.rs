//! Messages on their way out, shared by every session they go to.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use engineio_protocol::{Message, Packet, ProtocolVersion};

/// A message to send to one session or to many.
///
/// Cloning is a reference count. The WebSocket frame (`4` and the text, or a
/// v3 binary frame with its type byte) is built the first time a session
/// sends it and then shared, so a broadcast to N WebSocket clients frames
/// the message once, not N times.
#[derive(Debug, Clone)]
pub struct OutgoingMessage(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    message: Message,
    /// The framed form, for the versions that need one: text frames (the
    /// same in v3 and v4) and v3 binary frames. A v4 binary frame is the
    /// data itself.
    frame: OnceLock<Bytes>,
}

/// A WebSocket frame's payload, text or binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame; always valid UTF-8.
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
}

impl OutgoingMessage {
    /// Wraps a message.
    pub fn new(message: Message) -> Self {
        Self(Arc::new(Shared {
            message,
            frame: OnceLock::new(),
        }))
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.0.message
    }

    /// Its length in bytes of data, as counted against the outgoing bound.
    pub fn len(&self) -> usize {
        self.0.message.len()
    }

    /// Whether the message carries no data.
    pub fn is_empty(&self) -> bool {
        self.0.message.is_empty()
    }

    /// The WebSocket frame that carries this message to a client of `version`.
    pub fn frame(&self, version: ProtocolVersion) -> Frame {
        match (&self.0.message, version) {
            (Message::Binary(data), ProtocolVersion::V4) => Frame::Binary(data.clone()),
            (Message::Binary(_), ProtocolVersion::V3) => Frame::Binary(self.framed(version)),
            (Message::Text(_), _) => Frame::Text(self.framed(version)),
        }
    }

    fn framed(&self, version: ProtocolVersion) -> Bytes {
        self.0
            .frame
            .get_or_init(|| {
                let packet = Packet::Message(self.0.message.clone());
                match packet.to_frame(version) {
                    Message::Text(text) => text.into_bytes(),
                    Message::Binary(data) => data,
                }
            })
            .clone()
    }
}

impl From<Message> for OutgoingMessage {
    fn from(message: Message) -> Self {
        Self::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_built_once_and_shared() {
        let m = OutgoingMessage::new(Message::Text("hello".into()));
        let (Frame::Text(a), Frame::Text(b)) = (
            m.clone().frame(ProtocolVersion::V4),
            m.frame(ProtocolVersion::V3),
        ) else {
            panic!("text frames expected");
        };
        assert_eq!(a, "4hello");
        assert_eq!(
            a.as_ptr(),
            b.as_ptr(),
            "the second session reuses the frame"
        );
    }

    #[test]
    fn binary_frames_follow_the_version() {
        let m = OutgoingMessage::new(Message::Binary(Bytes::from_static(&[1, 2])));
        assert_eq!(
            m.frame(ProtocolVersion::V4),
            Frame::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            m.frame(ProtocolVersion::V3),
            Frame::Binary(Bytes::from_static(&[4, 1, 2]))
        );
    }
}

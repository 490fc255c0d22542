//! Sans-IO codec for Socket.IO packets.
#![allow(missing_docs)]

mod error;
pub mod value;

pub use error::Error;
pub use value::{from_value, to_value, Value};

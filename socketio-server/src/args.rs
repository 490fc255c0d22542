//! Event arguments as Node users expect them: a tuple is several
//! arguments, `()` none, anything else (a `Vec` included) one; and back,
//! the arguments read into one type.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::ser::{self, Impossible, Serialize, SerializeTuple};
use socketio_parser::{from_value, to_value, Value};

use crate::Error;

/// The socket.io arguments for `args`: the elements of a tuple, nothing
/// for `()`, and `args` itself as the only argument otherwise.
///
/// `emit("e", (1, "a"))` sends two arguments, `emit("e", vec![1, 2])` one
/// array, as Node's `emit("e", 1, "a")` and `emit("e", [1, 2])` do. serde
/// writes a fixed-size array (`[1, 2]`) as it writes a tuple, so that is
/// several arguments too.
pub(crate) fn to_args<T: Serialize + ?Sized>(args: &T) -> Result<Vec<Value>, Error> {
    match args.serialize(Probe) {
        Ok(Shape::Unit) => Ok(Vec::new()),
        Ok(Shape::Tuple(values)) => Ok(values),
        Err(NotArgs::Element(message)) => Err(Error::Serde(message)),
        Err(NotArgs::One) => Ok(vec![serialize(args)?]),
    }
}

fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    to_value(value).map_err(|e| Error::Serde(e.to_string()))
}

/// Several arguments held in a list, to send as they are: `emit("e",
/// Args(values))` sends one argument per element, as Node's
/// `emit("e", ...values)` does (a `Vec` on its own is one argument). As a
/// handler parameter, the event's arguments as they came, one element per
/// argument (Node's `...args`).
///
/// ```
/// use socketio_server::{Args, Socket};
/// # fn f(socket: Socket) {
/// socket.on("echo", |socket: Socket, args: Args| async move {
///     let _ = socket.emit("echo", args);
/// });
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args(pub Vec<Value>);

impl Serialize for Args {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for value in &self.0 {
            tuple.serialize_element(value)?;
        }
        tuple.end()
    }
}

/// Reads arguments into `T`: one argument is `T` itself, several are a
/// tuple (or any sequence), none is `()` or `None`. Where the argument
/// itself does not fit, the list of arguments is tried, so that `(T,)`
/// and `Vec<Value>` read any arguments. The error is the first one.
pub(crate) fn from_args<T: DeserializeOwned>(args: &[Value]) -> Result<T, socketio_parser::Error> {
    match args {
        [] => {
            from_value(Value::Null).or_else(|e| from_value(Value::Array(Vec::new())).map_err(|_| e))
        }
        [one] => from_value(one.clone())
            .or_else(|e| from_value(Value::Array(vec![one.clone()])).map_err(|_| e)),
        many => from_value(Value::Array(many.to_vec())),
    }
}

/// What [`Probe`] found at the top of a value.
enum Shape {
    Unit,
    Tuple(Vec<Value>),
}

/// Why a value is not a tuple of arguments.
#[derive(Debug)]
enum NotArgs {
    /// It is one argument.
    One,
    /// An element of the tuple failed to serialize.
    Element(String),
}

impl fmt::Display for NotArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One => f.write_str("one argument"),
            Self::Element(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for NotArgs {}

impl ser::Error for NotArgs {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Self::Element(message.to_string())
    }
}

/// A serializer that only looks at the top of a value: a tuple gives its
/// elements, `()` nothing; anything else stops at once with
/// [`NotArgs::One`], before any work is done.
struct Probe;

/// The elements of a tuple, each serialized on its own.
struct Elements(Vec<Value>);

impl SerializeTuple for Elements {
    type Ok = Shape;
    type Error = NotArgs;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotArgs> {
        let value = to_value(value).map_err(|e| NotArgs::Element(e.to_string()))?;
        self.0.push(value);
        Ok(())
    }

    fn end(self) -> Result<Shape, NotArgs> {
        Ok(Shape::Tuple(self.0))
    }
}

/// Every method of [`Probe`] but the two that matter says "one argument".
macro_rules! one_argument {
    ($($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Shape, NotArgs> {
            Err(NotArgs::One)
        }
    )*};
}

impl ser::Serializer for Probe {
    type Ok = Shape;
    type Error = NotArgs;
    type SerializeSeq = Impossible<Shape, NotArgs>;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Impossible<Shape, NotArgs>;
    type SerializeTupleVariant = Impossible<Shape, NotArgs>;
    type SerializeMap = Impossible<Shape, NotArgs>;
    type SerializeStruct = Impossible<Shape, NotArgs>;
    type SerializeStructVariant = Impossible<Shape, NotArgs>;

    fn serialize_unit(self) -> Result<Shape, NotArgs> {
        Ok(Shape::Unit)
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements, NotArgs> {
        Ok(Elements(Vec::with_capacity(len)))
    }

    one_argument! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Shape, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotArgs> {
        Err(NotArgs::One)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotArgs> {
        Err(NotArgs::One)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bytes::Bytes;

    use super::*;

    fn args(v: impl Serialize) -> Vec<Value> {
        to_args(&v).unwrap()
    }

    #[test]
    fn a_tuple_is_several_arguments_and_anything_else_one() {
        assert_eq!(args(()), Vec::<Value>::new());
        assert_eq!(args((1, "a")), vec![Value::from(1i64), Value::from("a")]);
        assert_eq!(args(("a",)), vec![Value::from("a")]);
        assert_eq!(args("a"), vec![Value::from("a")]);
        let one_array = Value::Array(vec![Value::from(1i64), Value::from(2i64)]);
        assert_eq!(args(vec![1, 2]), vec![one_array.clone()]);
        // serde writes a fixed-size array as a tuple: several arguments.
        assert_eq!(args([1, 2]).len(), 2);
        assert_eq!(args((vec![1, 2],)), vec![one_array]);
        assert_eq!(args(Option::<i32>::None), vec![Value::Null]);
        let list = vec![Value::from("a"), Value::Null];
        assert_eq!(args(Args(list.clone())), list);
        assert_eq!(args(HashMap::from([("k", 1)])).len(), 1);
        assert_eq!(
            args(Bytes::from_static(&[1])),
            vec![Value::Binary(Bytes::from_static(&[1]))]
        );
    }

    #[test]
    fn arguments_read_as_one_value_a_tuple_or_a_list() {
        let one = [Value::from("a")];
        assert_eq!(from_args::<String>(&one).unwrap(), "a");
        assert_eq!(from_args::<(String,)>(&one).unwrap(), ("a".to_owned(),));
        assert_eq!(from_args::<Vec<Value>>(&one).unwrap(), one.to_vec());
        let two = [Value::from(1i64), Value::from("b")];
        assert_eq!(
            from_args::<(u8, String)>(&two).unwrap(),
            (1, "b".to_owned())
        );
        assert_eq!(from_args::<Vec<Value>>(&two).unwrap(), two.to_vec());
        from_args::<()>(&[]).unwrap();
        assert_eq!(from_args::<Option<u8>>(&[]).unwrap(), None);
        assert!(from_args::<String>(&[]).is_err());
        assert!(from_args::<String>(&[Value::from(1i64)]).is_err());
        assert!(from_args::<()>(&one).is_err());
    }
}

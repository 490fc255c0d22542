//! [`Str`]: UTF-8 text that shares its bytes instead of copying them.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// An immutable UTF-8 string backed by [`Bytes`].
///
/// Text is checked for UTF-8 once, where it enters (a WebSocket text frame,
/// a polling body); after that, slicing and cloning share the same buffer.
/// This is what lets one encoded packet be sent to many clients without a
/// copy per client.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Bytes);

impl Str {
    /// An empty string.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A string borrowed from static text, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Checks that `bytes` is UTF-8 and wraps it without copying.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps `bytes` without checking them.
    ///
    /// # Safety
    ///
    /// `bytes` must be valid UTF-8, for instance because they come from a
    /// type that guarantees it (a WebSocket library's text frame).
    pub unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor either checks UTF-8, takes a `str`, or (the
        // unsafe one) requires valid UTF-8 from its caller, and
        // `slice_ref` only accepts sub-slices of `as_str()`, which are `str`s
        // themselves, so the bytes are always valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes, shared.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Gives back the underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The part of this string that `sub` covers, sharing the buffer.
    ///
    /// # Panics
    ///
    /// Panics if `sub` is not a slice of `self.as_str()`; pass only slices
    /// obtained from this string.
    pub fn slice_ref(&self, sub: &str) -> Self {
        Self(self.0.slice_ref(sub.as_bytes()))
    }
}

impl Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_refused_at_the_boundary() {
        assert!(Str::from_utf8(Bytes::from_static(b"\xff\xfe")).is_err());
        assert_eq!(
            Str::from_utf8(Bytes::from_static("é".as_bytes())).unwrap(),
            "é"
        );
    }

    #[test]
    fn slices_share_the_buffer() {
        let s = Str::from("4hello");
        let tail = s.slice_ref(&s[1..]);
        assert_eq!(tail, "hello");
        assert_eq!(tail.as_bytes().as_ptr(), s.as_bytes()[1..].as_ptr());
    }
}

//! The errors an engine.io server answers a refused HTTP request with.

use std::fmt;

/// An engine.io HTTP error, as Node's `engine.io` server numbers them.
///
/// The server answers a refused request with [`ErrorCode::status`] and a
/// JSON body `{"code":N,"message":"..."}` (see [`ErrorCode::json_body`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `0`: the `transport` query parameter is missing or unknown, or the
    /// transport is not allowed.
    UnknownTransport = 0,
    /// `1`: the `sid` names no session, or the request's transport is not
    /// the session's.
    UnknownSid = 1,
    /// `2`: a handshake (no `sid`) with a method other than `GET`.
    BadHandshakeMethod = 2,
    /// `3`: anything else that is malformed.
    BadRequest = 3,
    /// `4`: the application's `allow_request` hook refused the request.
    Forbidden = 4,
    /// `5`: the `EIO` query parameter names a version this server does not speak.
    UnsupportedProtocolVersion = 5,
}

impl ErrorCode {
    /// The numeric code in the JSON body.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The default message in the JSON body.
    pub fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::Forbidden => "Forbidden",
            Self::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status: 403 for [`ErrorCode::Forbidden`], 400 for the others.
    pub fn status(self) -> u16 {
        match self {
            Self::Forbidden => 403,
            _ => 400,
        }
    }

    /// The JSON body, with `message` in place of the default message if given
    /// (as the `allow_request` hook may do).
    pub fn json_body(self, message: Option<&str>) -> String {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            code: u8,
            message: &'a str,
        }
        let body = Body {
            code: self.code(),
            message: message.unwrap_or(self.message()),
        };
        // Serializing a struct of an integer and a string cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_reference_server() {
        assert_eq!(
            ErrorCode::UnknownSid.json_body(None),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        assert_eq!(
            ErrorCode::UnsupportedProtocolVersion.json_body(None),
            r#"{"code":5,"message":"Unsupported protocol version"}"#
        );
        assert_eq!(
            ErrorCode::Forbidden.json_body(Some("no \"thanks\"")),
            r#"{"code":4,"message":"no \"thanks\""}"#
        );
    }

    #[test]
    fn forbidden_is_403_and_the_rest_400() {
        assert_eq!(ErrorCode::Forbidden.status(), 403);
        for code in [
            ErrorCode::UnknownTransport,
            ErrorCode::UnknownSid,
            ErrorCode::BadHandshakeMethod,
            ErrorCode::BadRequest,
            ErrorCode::UnsupportedProtocolVersion,
        ] {
            assert_eq!(code.status(), 400);
        }
    }
}

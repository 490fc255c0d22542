//! Cross-origin resource sharing, with the headers Node's engine.io sends
//! through the `cors` package.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};

/// Which origins may make requests.
#[derive(Clone)]
pub enum AllowOrigin {
    /// Any origin: `Access-Control-Allow-Origin: *` (browsers then refuse
    /// credentials; use [`AllowOrigin::Mirror`] with credentials).
    Any,
    /// Any origin, echoed back in `Access-Control-Allow-Origin`.
    Mirror,
    /// These origins exactly (`https://example.com`).
    List(Vec<String>),
    /// The origins a function accepts.
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
    /// The origins a function accepts that must wait for its answer (a
    /// lookup elsewhere): asked once per request, before it is handled.
    AsyncPredicate(AsyncOriginCheck),
}

/// The function of an [`AllowOrigin::AsyncPredicate`].
pub type AsyncOriginCheck =
    Arc<dyn Fn(&str) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// What an [`AllowOrigin::AsyncPredicate`] said of a request's origin; the
/// server asks before handling the request and keeps the answer here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OriginVerdict(pub(crate) bool);

impl fmt::Debug for AllowOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("Any"),
            Self::Mirror => f.write_str("Mirror"),
            Self::List(list) => f.debug_tuple("List").field(list).finish(),
            Self::Predicate(_) => f.write_str("Predicate(..)"),
            Self::AsyncPredicate(_) => f.write_str("AsyncPredicate(..)"),
        }
    }
}

/// The CORS policy of the server.
///
/// ```
/// use engineio_server::Cors;
///
/// let cors = Cors::origins(["https://app.example"]).credentials(true);
/// # let _ = cors;
/// ```
#[derive(Debug, Clone)]
pub struct Cors {
    origin: AllowOrigin,
    credentials: bool,
    allowed_headers: Option<Vec<String>>,
    exposed_headers: Vec<String>,
    max_age: Option<Duration>,
}

/// The methods a preflight allows, as the `cors` package lists them.
const METHODS: &str = "GET,HEAD,PUT,PATCH,POST,DELETE";

impl Cors {
    /// A policy for these origins.
    pub fn new(origin: AllowOrigin) -> Self {
        Self {
            origin,
            credentials: false,
            allowed_headers: None,
            exposed_headers: Vec::new(),
            max_age: None,
        }
    }

    /// Any origin, as `*`.
    pub fn any() -> Self {
        Self::new(AllowOrigin::Any)
    }

    /// Any origin, echoed back (works with credentials).
    pub fn mirror() -> Self {
        Self::new(AllowOrigin::Mirror)
    }

    /// Exactly these origins.
    pub fn origins<S: Into<String>>(origins: impl IntoIterator<Item = S>) -> Self {
        Self::new(AllowOrigin::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    /// The origins `accept` says yes to.
    pub fn predicate(accept: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self::new(AllowOrigin::Predicate(Arc::new(accept)))
    }

    /// A policy for the origins `accept` says yes to, when it must wait for
    /// its answer (Node's `cors.origin` as a function with a callback). It
    /// is asked once per request, before the request is handled.
    ///
    /// ```
    /// use engineio_server::Cors;
    /// let cors = Cors::predicate_async(|origin| {
    ///     let origin = origin.to_owned();
    ///     async move { origin.ends_with(".trusted.example") }
    /// });
    /// # let _ = cors;
    /// ```
    pub fn predicate_async<F, Fut>(accept: F) -> Self
    where
        F: Fn(&str) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Self::new(AllowOrigin::AsyncPredicate(Arc::new(move |origin| {
            Box::pin(accept(origin))
        })))
    }

    /// Whether cookies and credentials may be sent
    /// (`Access-Control-Allow-Credentials`, default false).
    pub fn credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// The request headers a preflight allows (default: those the
    /// preflight asks for).
    pub fn allowed_headers<S: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allowed_headers = Some(headers.into_iter().map(Into::into).collect());
        self
    }

    /// The response headers scripts may read (`Access-Control-Expose-Headers`).
    pub fn exposed_headers<S: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.exposed_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// How long a preflight answer may be cached (`Access-Control-Max-Age`).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`,
    /// or `None` if the origin is not allowed.
    fn allow_origin(
        &self,
        origin: Option<&HeaderValue>,
        verdict: Option<OriginVerdict>,
    ) -> Option<HeaderValue> {
        let origin = origin.and_then(|o| o.to_str().ok());
        let allowed = match (&self.origin, origin) {
            (AllowOrigin::Any, _) => return Some(HeaderValue::from_static("*")),
            (_, None) => false,
            (AllowOrigin::Mirror, Some(_)) => true,
            (AllowOrigin::List(list), Some(o)) => list.iter().any(|allowed| allowed == o),
            (AllowOrigin::Predicate(accept), Some(o)) => accept(o),
            (AllowOrigin::AsyncPredicate(_), Some(_)) => verdict == Some(OriginVerdict(true)),
        };
        if allowed {
            origin.and_then(|o| HeaderValue::from_str(o).ok())
        } else {
            None
        }
    }

    /// Asks an [`AllowOrigin::AsyncPredicate`] about the request's origin,
    /// before the request is handled; `None` for other policies.
    pub(crate) async fn decide(&self, request: &HeaderMap) -> Option<OriginVerdict> {
        let AllowOrigin::AsyncPredicate(accept) = &self.origin else {
            return None;
        };
        let origin = request.get(header::ORIGIN)?.to_str().ok()?;
        Some(OriginVerdict(accept(origin).await))
    }

    /// Adds the headers of an actual (non-preflight) response.
    pub(crate) fn apply(
        &self,
        request: &HeaderMap,
        verdict: Option<OriginVerdict>,
        response: &mut HeaderMap,
    ) {
        self.common(request, verdict, response);
        if !self.exposed_headers.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&self.exposed_headers.join(",")) {
                response.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
    }

    /// Adds the headers of a preflight (OPTIONS) response.
    pub(crate) fn preflight(
        &self,
        request: &HeaderMap,
        verdict: Option<OriginVerdict>,
        response: &mut HeaderMap,
    ) {
        self.common(request, verdict, response);
        response.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        match &self.allowed_headers {
            Some(list) => {
                if let Ok(v) = HeaderValue::from_str(&list.join(",")) {
                    response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
                }
            }
            None => {
                if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
                    response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
                    response.append(
                        header::VARY,
                        HeaderValue::from_static("Access-Control-Request-Headers"),
                    );
                }
            }
        }
        if let Some(age) = self.max_age {
            response.insert(header::ACCESS_CONTROL_MAX_AGE, age.as_secs().into());
        }
    }

    fn common(
        &self,
        request: &HeaderMap,
        verdict: Option<OriginVerdict>,
        response: &mut HeaderMap,
    ) {
        if let Some(allow) = self.allow_origin(request.get(header::ORIGIN), verdict) {
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        }
        if !matches!(self.origin, AllowOrigin::Any) {
            response.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        if self.credentials {
            response.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Cors {
        fn apply_for_test(&self, request: &HeaderMap, response: &mut HeaderMap) {
            self.apply(request, None, response);
        }
    }

    fn from(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h
    }

    #[test]
    fn listed_origins_are_echoed_and_others_get_no_header() {
        let cors = Cors::origins(["https://a.example"]).credentials(true);
        let mut out = HeaderMap::new();
        cors.apply_for_test(&from("https://a.example"), &mut out);
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://a.example"
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(out[header::VARY], "Origin");

        let mut out = HeaderMap::new();
        cors.apply_for_test(&from("https://evil.example"), &mut out);
        assert!(out.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }

    #[test]
    fn any_is_a_star_and_predicates_decide() {
        let mut out = HeaderMap::new();
        Cors::any().apply_for_test(&from("https://x.example"), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

        let cors = Cors::predicate(|o| o.ends_with(".trusted.example"));
        let mut out = HeaderMap::new();
        cors.apply_for_test(&from("https://app.trusted.example"), &mut out);
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.trusted.example"
        );
    }

    #[test]
    fn preflight_reflects_the_asked_headers() {
        let mut req = from("https://a.example");
        req.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("x-token"),
        );
        let mut out = HeaderMap::new();
        Cors::mirror()
            .max_age(Duration::from_secs(600))
            .preflight(&req, None, &mut out);
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://a.example"
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_METHODS], METHODS);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_HEADERS], "x-token");
        assert_eq!(out[header::ACCESS_CONTROL_MAX_AGE], "600");
    }
}

//! Security headers on every response, and axum's one body type for every response: the layer
//! that sets them must wrap everything else ([`crate::router`]).

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    response::Response,
    BoxError,
};
use http::{header, HeaderName, HeaderValue, Request};
use tower::Service;

pub struct SecurityHeaders {
    pub csp: HeaderValue,
    pub hsts: bool,
}

/// The service under it, with them set on every response it answers and the body boxed as
/// axum's.
///
/// One small future that maps the answer once it is ready: a `map_response` layer's future
/// (`futures_util`'s `Map`) copies the whole future it wraps when it completes, and two of them
/// on the outside of the stack were the largest memory copies per request (callgrind).
#[derive(Clone)]
pub struct WithSecurityHeaders<S> {
    inner: S,
    cfg: Arc<SecurityHeaders>,
}

impl<S> WithSecurityHeaders<S> {
    pub fn new(inner: S, cfg: Arc<SecurityHeaders>) -> Self {
        Self { inner, cfg }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for WithSecurityHeaders<S>
where
    S: Service<Request<ReqBody>, Response = http::Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Secured<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        Secured {
            inner: self.inner.call(req),
            cfg: self.cfg.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A response on its way out.
    pub struct Secured<F> {
        #[pin]
        inner: F,
        cfg: Arc<SecurityHeaders>,
    }
}

impl<F, B, E> Future for Secured<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx));
        Poll::Ready(res.map(|res| apply(this.cfg, res.map(Body::new))))
    }
}

/// The headers every response carries as they are, besides the CSP (and [`HSTS`] when on);
/// built at compile time, not checked again on every response.
pub const FIXED: [(HeaderName, HeaderValue); 5] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    ),
];

/// `Strict-Transport-Security`, sent when cookies are `Secure` (the site is served over HTTPS).
pub const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000; includeSubDomains");

fn apply(cfg: &SecurityHeaders, mut res: Response) -> Response {
    let h = res.headers_mut();
    // Room for all of them (and the CSP and HSTS) at once, not a regrowth halfway.
    h.reserve(FIXED.len() + 2);
    h.insert(header::CONTENT_SECURITY_POLICY, cfg.csp.clone());
    for (name, value) in FIXED {
        h.insert(name, value);
    }
    if cfg.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}

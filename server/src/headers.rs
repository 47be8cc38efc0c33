//! Security headers on every response.

use std::sync::Arc;

use axum::response::Response;
use http::{header, HeaderName, HeaderValue};

pub struct SecurityHeaders {
    pub csp: HeaderValue,
    pub hsts: bool,
}

/// The layer that sets them: a plain response map, so no request pays for a boxed middleware
/// future on its way through.
pub fn layer(
    cfg: Arc<SecurityHeaders>,
) -> tower::util::MapResponseLayer<impl Fn(Response) -> Response + Clone> {
    tower::util::MapResponseLayer::new(move |res| apply(&cfg, res))
}

fn apply(cfg: &SecurityHeaders, mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, cfg.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if cfg.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

//! The `licenseshipper` server: HTTP wiring around the `app` crate's server functions.

pub mod api;
pub mod compress;
pub mod config;
pub mod connections;
pub mod embedded;
pub mod error;
pub mod headers;
pub mod health;
pub mod keys_cli;
pub mod metrics;
pub mod request_id;
pub mod run;
pub mod scanning;
pub mod site;

use std::sync::Arc;

use app::server::AppState;
use axum::{
    routing::{any, get},
    Router,
};
use tower_http::{
    compression::{CompressionLayer, CompressionLevel},
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use site::Site;

/// The OpenAPI 3.1 document, generated from the server-function registry once per process
/// (`docs/openapi.json` is a snapshot of it, checked by a test).
pub fn openapi_json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut text = serde_json::to_string_pretty(&app::server::openapi::document())
            .expect("the document serializes");
        text.push('\n');
        text
    })
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        openapi_json(),
    )
}

/// The log target of the one-line-per-request access log.
pub const ACCESS_LOG: &str = "licenseshipper::access";

/// The whole HTTP surface, built in one place (tests drive it without a socket).
pub fn router(state: AppState, site: Arc<Site>) -> Router {
    let security = Arc::new(headers::SecurityHeaders {
        csp: site.csp.clone(),
        hsts: state.settings.secure_cookies,
    });
    let api = api::ApiState::new(state);
    // Each request's span names the function its path calls, from the start: recording it
    // later, once routed, formats the span's fields a second time.
    let functions = api.clone();
    Router::new()
        .route("/api/{*fn_name}", any(api::handle))
        .route(
            app::server::scanning::REPORT_PATH,
            axum::routing::post(scanning::report),
        )
        .route("/healthz", get(health::healthz))
        .route("/livez", get(health::livez))
        .route("/api/v1/openapi.json", get(openapi))
        .with_state(api)
        .fallback_service(site::router(site))
        .layer(headers::layer(security))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: a query string could carry something secret. `key_id`
                    // is filled in once a key authenticates.
                    let path = req.uri().path();
                    tracing::info_span!(
                        "request",
                        id,
                        method = req.method().as_str(),
                        path,
                        function = functions.function_at(path),
                        key_id = tracing::field::Empty
                    )
                })
                .on_request(())
                .on_response(
                    |res: &http::Response<_>, latency: std::time::Duration, _: &tracing::Span| {
                        // One access line per request, under its own target so operators choose
                        // it apart from the rest (on by default with `--log-format json`).
                        tracing::info!(
                            target: ACCESS_LOG,
                            status = res.status().as_u16(),
                            duration_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                            "response"
                        );
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_id::RandomRequestId))
}

//! The `licenseshipper` server: HTTP wiring around the `app` crate's server functions.

pub mod access_log;
pub mod api;
pub mod compress;
pub mod compression;
pub mod config;
pub mod connections;
pub mod embedded;
pub mod error;
pub mod headers;
pub mod health;
pub mod keys_cli;
pub mod log_fields;
pub mod log_format;
pub mod metrics;
pub mod request_id;
pub mod run;
pub mod scanning;
pub mod site;

use std::{
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
};

use app::server::AppState;
use axum::{
    body::Body,
    extract::Request,
    response::Response,
    routing::{any, get},
    Router,
};
use futures::future::BoxFuture;
use tower::{Service, ServiceBuilder};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

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

pub use access_log::ACCESS_LOG;

/// The whole HTTP surface, built in one place (tests drive it without a socket).
///
/// The layers wrap the whole service once, not each route: a router's layers are cloned into
/// a new box on every request. Declared functions are found by their path and called at once
/// ([`Dispatch`]); the router serves the rest.
///
/// # Panics
/// As [`api::ApiState::new`]: when the declared functions are not served as this expects.
pub fn router(
    state: AppState,
    site: Arc<Site>,
) -> impl Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let security = Arc::new(headers::SecurityHeaders {
        csp: site.csp.clone(),
        hsts: state.settings.secure_cookies,
    });
    let api = api::ApiState::new(state);
    let rest = Router::new()
        .route("/api/{*fn_name}", any(api::unknown))
        .route(
            app::server::scanning::REPORT_PATH,
            axum::routing::post(scanning::report),
        )
        .route("/healthz", get(health::healthz))
        .route("/livez", get(health::livez))
        .route("/api/v1/openapi.json", get(openapi))
        .with_state(api.clone())
        .fallback_service(site::router(site));
    let names = api.clone();
    ServiceBuilder::new()
        // Outermost, so that no response of any layer below goes out without the security
        // headers (and each leaves with axum's body type).
        .layer_fn(move |inner| headers::WithSecurityHeaders::new(inner, security.clone()))
        .layer(SetRequestIdLayer::x_request_id(request_id::RandomRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer_fn(move |inner| access_log::AccessLog::new(inner, names.clone()))
        .layer_fn(compression::Compress::new)
        .service(Dispatch { api, rest })
}

/// Declared functions straight to [`api::serve`]; everything else through the router.
#[derive(Clone)]
struct Dispatch {
    api: api::ApiState,
    rest: Router,
}

impl Service<Request<Body>> for Dispatch {
    type Response = Response;
    type Error = Infallible;
    /// Boxed either way: a future's size is that of its largest variant, and each layer above
    /// embeds it and moves it (the router's future is several times a box's size).
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(())) // as the router: always ready
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        match self.api.declared(req.uri().path()) {
            Some(declared) => {
                let (api, declared) = (self.api.clone(), declared.clone());
                Box::pin(async move { Ok(api::serve(api, declared, req).await) })
            }
            None => Box::pin(self.rest.call(req)),
        }
    }
}

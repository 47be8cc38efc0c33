//! Server-only code: storage, crypto, services and the API gate. Never part of the wasm build.

pub mod accounts;
pub mod audit;
pub mod caller;
pub mod clock;
pub mod db;
pub mod entities;
pub mod error;
pub mod export;
pub mod gate;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod request_context;
pub mod scanning;
#[cfg(any(test, feature = "testing"))]
pub mod seed;
pub mod state;
pub mod vault;
pub mod webhooks;
pub mod wire;

use http::{header, HeaderValue};
use leptos::prelude::use_context;

use crate::api::error::ApiError;

pub use caller::Caller;
pub use state::AppState;

/// The shared state and the resolved caller of the current server-function call.
pub fn request() -> Result<(AppState, Caller), ApiError> {
    let state = use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from server-function context");
        ApiError::Internal
    })?;
    let caller = use_context::<Caller>().ok_or(ApiError::Unauthenticated)?;
    Ok((state, caller))
}

fn response_header(name: header::HeaderName, value: &str) {
    if let (Some(opts), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        opts.append_header(name, value);
    }
}

pub fn set_cookie(value: &str) {
    response_header(header::SET_COOKIE, value);
}

/// Sets the cookie of a new session on the response, which must then never be cached.
pub fn start_session(state: &AppState, token: &accounts::sessions::SessionToken) {
    no_store();
    set_cookie(&accounts::sessions::set_cookie(
        token,
        state.settings.secure_cookies,
    ));
}

/// Marks the response as one that must never be cached (it carries a secret or a session).
pub fn no_store() {
    response_header(header::CACHE_CONTROL, "no-store");
}

//! Server-only code: storage, crypto, services and the API gate. Never part of the wasm build.

pub mod accounts;
pub mod audit;
pub mod call;
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

use http::header;

pub use call::request;
pub use caller::Caller;
pub use state::AppState;

pub fn set_cookie(value: &str) {
    call::append_header(header::SET_COOKIE, value);
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
    call::append_header(header::CACHE_CONTROL, "no-store");
}

//! The context of one server-function call: the shared state, the caller the gate resolved,
//! and the response options the function sets (headers such as a session cookie).
//!
//! It travels with the call's future as a tokio task-local, so a function reads it without a
//! reactive owner: creating an owner, providing three contexts and entering it on every poll
//! was about a tenth of an integrator call's instructions (`make bench`, http_load).
//!
//! A task spawned from a function does not carry it: take what the task needs ([`request`])
//! before spawning; headers set from such a task go nowhere.

use std::{future::Future, sync::PoisonError};

use http::{header::HeaderName, HeaderValue};
use leptos_axum::ResponseOptions;

use crate::api::error::ApiError;

use super::{caller::Caller, state::AppState};

tokio::task_local! {
    static CURRENT: Call;
}

/// What a server function sees of the call it serves.
pub struct Call {
    state: AppState,
    caller: Caller,
    options: ResponseOptions,
}

impl Call {
    pub fn new(state: AppState, caller: Caller) -> Self {
        Self {
            state,
            caller,
            options: ResponseOptions::default(),
        }
    }

    /// Runs a function's `future` as this call, and adds the headers it set to its response.
    pub async fn respond<B>(
        self,
        future: impl Future<Output = http::Response<B>>,
    ) -> http::Response<B> {
        let options = self.options.clone();
        let mut res = CURRENT.scope(self, future).await;
        let mut set = options.0.write().unwrap_or_else(PoisonError::into_inner);
        res.headers_mut().extend(std::mem::take(&mut set.headers));
        res
    }
}

/// The shared state and the resolved caller of the current server-function call.
pub fn request() -> Result<(AppState, Caller), ApiError> {
    CURRENT
        .try_with(|call| (call.state.clone(), call.caller.clone()))
        .map_err(|_| {
            tracing::error!("a server function ran outside a call's context");
            ApiError::Internal
        })
}

/// Adds a header to the current call's response (none outside a call, or when not a valid
/// header value).
pub fn append_header(name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        let _ = CURRENT.try_with(|call| call.options.append_header(name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outside_a_call_there_is_no_context_and_headers_go_nowhere() {
        assert!(matches!(request(), Err(ApiError::Internal)));
        append_header(http::header::SET_COOKIE, "a=b"); // must not panic
    }
}

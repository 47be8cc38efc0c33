//! The request a task is serving, as its log lines name it: id, method, path, function and key.
//!
//! It travels with the request's future (a task-local) and is formatted only when a line is
//! written, by the server's log formats. A tracing span per request would carry the same
//! fields, but the subscriber registers, formats, enters and closes a span on every request
//! whether or not any line is ever written in it: on the integrator hot path that was about a
//! fifth of the throughput (`make bench`, http_load).

use std::{
    cell::{Ref, RefCell},
    future::Future,
};

use http::{uri::PathAndQuery, HeaderValue, Method, Uri};
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    // Boxed: the value is swapped in and out of the thread-local on every poll.
    static CURRENT: Box<RequestContext>;
}

/// What the log lines written while serving a request say of it.
pub struct RequestContext {
    id: HeaderValue,
    method: Method,
    /// Kept whole (a reference-counted slice of the request line); only its path is shown:
    /// a query string could carry a secret.
    target: Option<PathAndQuery>,
    function: Option<&'static str>,
    key_id: RefCell<Option<String>>,
}

impl RequestContext {
    /// The context of a request with this `x-request-id`, method and URI, calling `function`
    /// (if its path names one).
    pub fn new(id: HeaderValue, method: Method, uri: &Uri, function: Option<&'static str>) -> Self {
        Self {
            id,
            method,
            target: uri.path_and_query().cloned(),
            function,
            key_id: RefCell::new(None),
        }
    }

    /// Runs `future` as this request's: log lines written while it is polled carry this context.
    pub fn scope<F: Future>(self, future: F) -> TaskLocalFuture<Box<RequestContext>, F> {
        CURRENT.scope(Box::new(self), future)
    }

    /// Calls `f` with the context of the request being served here, if any.
    pub fn with_current<R>(f: impl FnOnce(&RequestContext) -> R) -> Option<R> {
        CURRENT.try_with(|current| f(current)).ok()
    }

    /// The request id, `-` when the client's own is not visible ASCII.
    pub fn id(&self) -> &str {
        self.id.to_str().unwrap_or("-")
    }

    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path alone, never the query.
    pub fn path(&self) -> &str {
        self.target.as_ref().map_or("/", PathAndQuery::path)
    }

    /// The declared function the path calls, if it calls one.
    pub fn function(&self) -> Option<&'static str> {
        self.function
    }

    /// The id of the key that authenticated the request, once one has.
    pub fn key_id(&self) -> Option<Ref<'_, str>> {
        let key_id = self.key_id.try_borrow().ok()?;
        Ref::filter_map(key_id, |k| k.as_deref()).ok()
    }
}

/// The fields a log line shows, never the query string.
impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("id", &self.id())
            .field("method", &self.method())
            .field("path", &self.path())
            .field("function", &self.function)
            .field("key_id", &self.key_id().as_deref())
            .finish()
    }
}

/// Names the key that authenticated the request being served here (its id, never its secret)
/// in the request's log lines from now on; nothing outside a request.
pub fn record_key_id(key_id: &str) {
    let _ = CURRENT.try_with(|current| {
        if let Ok(mut slot) = current.key_id.try_borrow_mut() {
            *slot = Some(key_id.to_owned());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(uri: &str) -> RequestContext {
        RequestContext::new(
            HeaderValue::from_static("r-1"),
            Method::POST,
            &uri.parse().unwrap(),
            Some("whoami"),
        )
    }

    #[tokio::test]
    async fn a_request_s_lines_see_its_context_and_the_key_once_recorded() {
        let seen = context("/api/v1/whoami?api_key=secret")
            .scope(async {
                let before = RequestContext::with_current(|c| c.key_id().map(|k| k.to_owned()));
                record_key_id("k-1");
                tokio::task::yield_now().await;
                let after = RequestContext::with_current(|c| {
                    (
                        c.id().to_owned(),
                        c.method().to_owned(),
                        c.path().to_owned(),
                        c.function(),
                        c.key_id().map(|k| k.to_owned()),
                    )
                });
                (before, after)
            })
            .await;
        assert_eq!(seen.0, Some(None), "no key before one authenticates");
        assert_eq!(
            seen.1,
            Some((
                "r-1".to_owned(),
                "POST".to_owned(),
                "/api/v1/whoami".to_owned(),
                Some("whoami"),
                Some("k-1".to_owned())
            )),
            "the path without its query, and the key once recorded"
        );
    }

    #[tokio::test]
    async fn outside_a_request_there_is_no_context_and_recording_does_nothing() {
        record_key_id("k-1");
        assert!(RequestContext::with_current(|_| ()).is_none());
        // A task spawned from a request is not the request.
        let spawned = context("/")
            .scope(async {
                tokio::spawn(async { RequestContext::with_current(|_| ()).is_some() })
                    .await
                    .unwrap()
            })
            .await;
        assert!(!spawned);
    }

    #[test]
    fn its_debug_form_shows_the_path_never_the_query() {
        let shown = format!("{:?}", context("/api/v1/whoami?api_key=ls_secret"));
        assert!(shown.contains("/api/v1/whoami"), "{shown}");
        assert!(
            !shown.contains("api_key") && !shown.contains("ls_secret"),
            "{shown}"
        );
    }

    #[test]
    fn an_id_that_is_not_visible_ascii_is_shown_as_a_dash() {
        let mut c = context("/");
        c.id = HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap();
        assert_eq!(c.id(), "-");
    }
}

//! Every request is served in its [`RequestContext`], so that each line logged while serving it
//! names it, and ends with one access line under [`ACCESS_LOG`].

use std::{
    future::Future,
    pin::Pin,
    task::{ready, Context, Poll},
    time::Instant,
};

use app::server::request_context::RequestContext;
use http::{HeaderValue, Request, Response};
use tokio::task::futures::TaskLocalFuture;
use tower::Service;
use tower_http::request_id::RequestId;

use crate::api::ApiState;

/// The log target of the one-line-per-request access log.
pub const ACCESS_LOG: &str = "licenseshipper::access";

/// The service under it, serving each request in its context (see the module).
#[derive(Clone)]
pub struct AccessLog<S> {
    inner: S,
    /// Names the function a path calls.
    api: ApiState,
}

impl<S> AccessLog<S> {
    pub fn new(inner: S, api: ApiState) -> Self {
        Self { inner, api }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AccessLog<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Box<RequestContext>, Logged<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // Set before this layer by `SetRequestIdLayer`: the client's own id or a fresh one.
        let id = req
            .extensions()
            .get::<RequestId>()
            .map_or(HeaderValue::from_static("-"), |id| {
                id.header_value().clone()
            });
        let context = RequestContext::new(
            id,
            req.method().clone(),
            req.uri(),
            self.api.function_at(req.uri().path()),
        );
        context.scope(Logged {
            start: Instant::now(),
            inner: self.inner.call(req),
        })
    }
}

pin_project_lite::pin_project! {
    /// A response on its way, logged when it is ready.
    pub struct Logged<F> {
        start: Instant,
        #[pin]
        inner: F,
    }
}

impl<F, B, E> Future for Logged<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(res) = &result {
            let status = res.status().as_u16();
            let duration_us = u64::try_from(this.start.elapsed().as_micros()).unwrap_or(u64::MAX);
            // One line per request, under its own target so operators choose it apart from
            // the rest (on by default with `--log-format json`); a server error's at error
            // level, which the default filter of the text format shows too.
            if res.status().is_server_error() {
                tracing::error!(target: ACCESS_LOG, status, duration_us, "response");
            } else {
                tracing::info!(target: ACCESS_LOG, status, duration_us, "response");
            }
        }
        Poll::Ready(result)
    }
}

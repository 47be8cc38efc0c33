//! The HTTP/1.1 server loop: the app's service ([`crate::router`]) behind hyper with a
//! header-read timeout (slow or idle clients cannot hold connections open) and graceful
//! shutdown.

use std::{
    convert::Infallible,
    future::Future,
    task::{Context, Poll, Waker},
    time::Duration,
};

use app::server::gate::Peer;
use axum::{body::Body, response::Response};
use futures::future::Either;
use hyper::{body::Incoming, Request};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::net::TcpListener;
use tower::{Service, ServiceExt as _};

/// In-flight requests get this long to finish after a shutdown signal.
pub const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` until `shutdown` resolves, then lets in-flight requests finish. Each request
/// carries its peer's address ([`Peer`]).
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    shutdown: impl Future<Output = ()>,
    header_timeout: Duration,
) where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let peer = Peer::new(peer.ip());
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(peer.clone());
            let req = req.map(Body::new);
            let mut app = app.clone();
            // The stack is always ready (as the router is): checked without a waker, and
            // called at once rather than through `Oneshot`'s state machine, which moved the
            // request and the response future on every call.
            match app.poll_ready(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(())) => Either::Left(app.call(req)),
                // Boxed: the future hyper keeps per request stays the size of the ready arm's.
                _ => Either::Right(Box::pin(app.oneshot(req))),
            }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after the shutdown grace period");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// Not ready until a task says so and wakes whoever last polled it (a service that must be
    /// polled again with a real waker: the path a noop-waker check hands to `oneshot`).
    #[derive(Clone, Default)]
    struct ReadyLater(Arc<Mutex<(bool, Option<Waker>)>>);

    impl Service<Request<Body>> for ReadyLater {
        type Response = Response;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            let mut state = self.0.lock().unwrap();
            if state.0 {
                return Poll::Ready(Ok(()));
            }
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            let ready = self.0.lock().unwrap().0;
            let body = if ready {
                "served"
            } else {
                "called before ready"
            };
            std::future::ready(Ok(Response::new(Body::from(body))))
        }
    }

    #[tokio::test]
    async fn a_service_not_yet_ready_is_polled_again_and_answers() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = ReadyLater::default();
        let state = service.0.clone();
        tokio::spawn(serve(
            listener,
            service,
            std::future::pending(),
            Duration::from_secs(5),
        ));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut state = state.lock().unwrap();
            state.0 = true;
            if let Some(waker) = state.1.take() {
                waker.wake();
            }
        });
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
            .await
            .expect("answered, not hung")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("served"), "{answer}");
    }
}

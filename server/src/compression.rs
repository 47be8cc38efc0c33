//! Responses compressed on the fly when the client accepts an encoding and the body is worth
//! it (static files bring their own variants: [`crate::compress`]).
//!
//! A request that names no encoding never meets the compression layer: it would only pass the
//! response through, but its body type (large enough to hold any encoder's state) was then
//! moved through every layer above on each request, integrator calls included (callgrind).

use std::{
    convert::Infallible,
    task::{Context, Poll},
};

use axum::{body::Body, response::Response};
use futures::future::{Either, MapOk, TryFutureExt as _};
use http::{header, Request};
use tower::Service;
use tower_http::compression::{
    predicate::{And, DefaultPredicate, Predicate, SizeAbove},
    Compression, CompressionBody, CompressionLevel,
};

/// Bodies shorter than this many bytes go out as they are: compressing a small JSON answer
/// costs more time than the bytes it saves (known-size bodies; a stream is always worth it).
pub const MIN_SIZE: u16 = 1024;

/// tower-http's default choice of what to compress (no gRPC, images or event streams), from
/// [`MIN_SIZE`] bytes on.
type Worth = And<SizeAbove, DefaultPredicate>;

fn worth() -> Worth {
    SizeAbove::new(MIN_SIZE).and(DefaultPredicate::new())
}

/// The service under it, compressing answers to the requests that ask (see the module).
#[derive(Clone)]
pub struct Compress<S> {
    inner: Compression<S, Worth>,
}

impl<S> Compress<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner: Compression::new(inner)
                .quality(CompressionLevel::Precise(5))
                .compress_when(worth()),
        }
    }
}

type Boxed = fn(Response<CompressionBody<Body>>) -> Response;

/// An answer that would have been compressed for a client that asked says that it varies with
/// `Accept-Encoding`, as tower-http says it to clients that ask (caches must not hand the plain
/// copy and the compressed one to the wrong client).
fn vary(mut res: Response) -> Response {
    // The size first: most answers stop there, before any header is looked up.
    if !worth().should_compress(&res) {
        return res;
    }
    let headers = res.headers();
    let says_so = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    // tower-http's own test: never over an encoding or a range already there.
    if !says_so
        && !headers.contains_key(header::CONTENT_ENCODING)
        && !headers.contains_key(header::CONTENT_RANGE)
    {
        res.headers_mut()
            .append(header::VARY, header::ACCEPT_ENCODING.into());
    }
    res
}

impl<S, ReqBody> Service<Request<ReqBody>> for Compress<S>
where
    S: Service<Request<ReqBody>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        MapOk<S::Future, fn(Response) -> Response>,
        MapOk<tower_http::compression::ResponseFuture<S::Future, Worth>, Boxed>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.get_mut().poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if req.headers().contains_key(header::ACCEPT_ENCODING) {
            let boxed: Boxed = |res| res.map(Body::new);
            Either::Right(self.inner.call(req).map_ok(boxed))
        } else {
            Either::Left(
                self.inner
                    .get_mut()
                    .call(req)
                    .map_ok(vary as fn(Response) -> Response),
            )
        }
    }
}

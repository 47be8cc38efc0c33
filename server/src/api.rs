//! `/api/*`: body limit, the caller gate, then the server function; errors leave as JSON with
//! the status their code implies.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use app::{
    api::{
        error::ApiError,
        registry::{self, Endpoint},
    },
    server::{call::Call, gate, AppState},
};
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, Method, StatusCode};
use rustc_hash::FxHashMap;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

fn is_json(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Checks a body's arguments before any function sees them: a JSON object (`400` otherwise)
/// holding only the function's own arguments (`422` naming the first other one), and no NUL
/// character in any text (PostgreSQL cannot store one; `422` naming the argument).
/// Answers the body to hand on: the same bytes or, when a whole number was written with a
/// fraction (`5.0`, an integer as JSON Schema counts them), the body with it written as one.
fn check_arguments(
    fields: &BTreeSet<String>,
    body: axum::body::Bytes,
) -> Result<axum::body::Bytes, ApiError> {
    if plain_arguments(fields, &body) {
        return Ok(body);
    }
    full_check(fields, body)
}

/// [`check_arguments`] for any body, through the body as a JSON tree.
fn full_check(
    fields: &BTreeSet<String>,
    body: axum::body::Bytes,
) -> Result<axum::body::Bytes, ApiError> {
    fn holds_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds_nul),
            serde_json::Value::Object(map) => {
                map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v))
            }
            _ => false,
        }
    }
    fn whole_numbers(v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let whole = f.fract() == 0.0 && f.abs() < 9.0e15;
                if whole {
                    *v = serde_json::Value::from(f as i64);
                }
                whole
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().fold(false, |c, i| whole_numbers(i) | c)
            }
            serde_json::Value::Object(map) => {
                map.values_mut().fold(false, |c, i| whole_numbers(i) | c)
            }
            _ => false,
        }
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return Err(ApiError::BadRequest(
            "Invalid request body: not a JSON object.".into(),
        ));
    };
    let rewritten = whole_numbers(&mut value);
    let serde_json::Value::Object(args) = &value else {
        return Err(ApiError::BadRequest(
            "The arguments must be a JSON object.".into(),
        ));
    };
    for (name, value) in args {
        if !fields.contains(name) {
            return Err(ApiError::validation(
                &name.replace('\0', ""),
                "Unknown argument.",
            ));
        }
        if holds_nul(value) {
            return Err(ApiError::validation(
                name,
                "Text must not contain NUL characters.",
            ));
        }
    }
    if rewritten {
        return Ok(serde_json::to_vec(&value).unwrap_or_default().into());
    }
    Ok(body)
}

/// The common case of [`check_arguments`], settled without building the body as a tree: an
/// object of the function's own arguments whose values are text without escapes (so without
/// NUL), whole numbers written as such, booleans or null. Anything else (`false`) takes the
/// full check, which answers the same for these and says what is wrong with the rest.
fn plain_arguments(fields: &BTreeSet<String>, body: &[u8]) -> bool {
    use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};

    struct Arguments<'f>(&'f BTreeSet<String>);
    struct Plain;

    impl<'de> DeserializeSeed<'de> for Arguments<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Arguments<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of known arguments")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(name) = map.next_key::<&'de str>()? {
                if !self.0.contains(name) {
                    return Err(A::Error::custom("unknown argument"));
                }
                map.next_value_seed(Plain)?;
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Plain {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Plain {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("plain text, a whole number, a boolean or null")
        }
        // Text as written: JSON holds no raw NUL (nor any control character), so none is in
        // it. Escaped text comes to `visit_str` instead, which is not handled here.
        fn visit_borrowed_str<E>(self, _: &'de str) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }

    let mut de = serde_json::Deserializer::from_slice(body);
    Arguments(fields).deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// What the API handlers share: one reference, so each request's clone is a single count.
#[derive(Clone)]
pub struct ApiState(Arc<ApiShared>);

pub struct ApiShared {
    pub app: AppState,
    /// The declared functions (see `app::api::registry`) by path. A server function linked in
    /// without a declaration is not served (and a test fails). The table is built once and
    /// never grows, so a fast hash without a random seed cannot be flooded by the paths
    /// clients look up.
    functions: FxHashMap<&'static str, Arc<Declared>>,
}

/// A served function: its declaration, and what each call reads of it, worked out once.
pub struct Declared {
    pub endpoint: &'static Endpoint,
    /// [`Endpoint::name`], the name logs and metrics call it by, cut from the path once.
    pub name: &'static str,
    /// Its argument names.
    fields: BTreeSet<String>,
    server_fn: &'static Registered,
}

/// A server function as `server_fn` registers it.
type Registered = server_fn::ServerFnTraitObj<Request, Response>;

impl std::ops::Deref for ApiState {
    type Target = ApiShared;

    fn deref(&self) -> &ApiShared {
        &self.0
    }
}

impl ApiState {
    /// The function served at `path`, if one is.
    pub(crate) fn declared(&self, path: &str) -> Option<&Arc<Declared>> {
        self.functions.get(path)
    }

    /// The name of the function served at `path`, as logs and metrics call it.
    pub fn function_at(&self, path: &str) -> Option<&'static str> {
        if path == app::server::scanning::REPORT_PATH {
            return Some(crate::scanning::NAME);
        }
        self.declared(path).map(|d| d.name)
    }

    /// Each declared function with what `server_fn` registered for its path.
    ///
    /// # Panics
    /// When a server function declares server_fn middleware (the gate in [`call`] is the
    /// only middleware, and a function must not run without it or around it), or is declared
    /// outside `/api/` or at a path the router serves itself ([`crate::router`] dispatches
    /// declared paths before routing).
    pub fn new(app: AppState) -> Self {
        let linked: HashMap<&str, &'static Registered> = server_fn::inventory::iter::<Registered>
            .into_iter()
            .filter(|f| f.method() == Method::POST)
            .map(|f| (f.path(), f))
            .collect();
        let functions = registry::endpoints()
            .into_iter()
            .filter_map(|endpoint| {
                let server_fn = linked.get(endpoint.path)?;
                assert!(
                    server_fn.middleware().is_empty(),
                    "{} declares server_fn middleware, which would not run",
                    endpoint.path
                );
                assert!(
                    endpoint.path.starts_with("/api/")
                        && endpoint.path != app::server::scanning::REPORT_PATH,
                    "{} is no API function path",
                    endpoint.path
                );
                let declared = Declared {
                    endpoint,
                    name: endpoint.name(),
                    fields: endpoint.fields(),
                    server_fn,
                };
                Some((endpoint.path, Arc::new(declared)))
            })
            .collect();
        Self(Arc::new(ApiShared { app, functions }))
    }
}

pub fn error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    let mut res = (status, body).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    decorate(error, headers);
    res
}

fn decorate(error: &ApiError, headers: &mut http::HeaderMap) {
    match error {
        // A valid key from the wrong address is no authentication failure (403, not 401).
        ApiError::InvalidKey(app::api::error::KeyRejection::IpNotAllowed) => {}
        ApiError::InvalidKey(reason) => {
            let value = format!(
                "Bearer realm=\"licenseshipper\", error=\"invalid_token\", error_description=\"{}\"",
                reason.code().as_str()
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        ApiError::Unauthenticated => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"licenseshipper\""),
            );
        }
        ApiError::RateLimited { retry_after } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        _ => {}
    }
}

/// `/api/*` paths that name no declared function (those go to [`serve`] before any routing).
pub async fn unknown() -> Response {
    error_response(&ApiError::not_found("API function"))
}

/// A call of a declared function, timed for the metrics.
pub(crate) async fn serve(api: ApiState, declared: Arc<Declared>, req: Request) -> Response {
    let timer = app::server::metrics::CallTimer::start();
    let res = call(api, &declared, req).await;
    timer.finish(declared.name, res.status().as_u16());
    res
}

/// One call of a declared function, from the gate to its answer.
async fn call(api: ApiState, declared: &Declared, req: Request) -> Response {
    let endpoint = declared.endpoint;
    let (mut parts, body) = req.into_parts();
    if gate::key_in_query(parts.uri.query()) {
        return error_response(&ApiError::BadRequest(
            "API keys are accepted only in the Authorization header, never in the URL.".into(),
        ));
    }
    // A GET carries no body, so only a POST can be a forged form submission.
    let posted = parts.method == Method::POST;
    if parts.method == Method::GET && endpoint.get {
        parts.method = Method::POST;
    } else if parts.method != Method::POST {
        let mut res = error_response(&ApiError::BadRequest("Use POST.".into()));
        *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        res.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static(if endpoint.get { "GET, POST" } else { "POST" }),
        );
        return res;
    }
    let declared_too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > BODY_LIMIT);
    if declared_too_large {
        return error_response(&ApiError::PayloadTooLarge);
    }
    // Who is calling is settled from the headers before the body is read: an anonymous or
    // refused caller cannot make the server wait for (or buffer) a body.
    let peer = parts.extensions.get::<gate::Peer>();
    let caller = match gate::resolve(&api.app, &parts, peer).await {
        Ok(caller) => caller,
        Err(e) => return error_response(&e),
    };
    // The function's declared need, checked here for every function before its body runs.
    if let Err(e) = endpoint.need.check(&caller) {
        return error_response(&e);
    }
    // A browser can send a cross-site `text/plain` or form POST without a preflight, with the
    // session cookie (or to log someone in); only bearer-key callers, which a browser cannot
    // forge, may leave the content type out.
    if !caller.is_key() && posted && !is_json(&parts.headers) {
        return error_response(&ApiError::UnsupportedMediaType);
    }

    // A small body has usually arrived with the headers and is taken at once; only a body
    // still on its way is given the timeout (and its clock read and timer).
    let mut read = std::pin::pin!(to_bytes(body, BODY_LIMIT));
    let read = match futures::poll!(read.as_mut()) {
        std::task::Poll::Ready(read) => Ok(read),
        std::task::Poll::Pending => tokio::time::timeout(api.app.settings.body_timeout, read).await,
    };
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return error_response(&ApiError::PayloadTooLarge),
        Err(_) => return error_response(&ApiError::RequestTimeout),
    };
    // An empty body means "no arguments" (e.g. `curl -X POST .../whoami`).
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        axum::body::Bytes::from_static(b"{}")
    } else {
        bytes
    };
    let bytes = match check_arguments(&declared.fields, bytes) {
        Ok(bytes) => bytes,
        Err(e) => return error_response(&e),
    };
    caller.record_use(&api.app.keys);
    // server_fn answers a request that accepts HTML with a redirect to its `Referer` (or `/`),
    // for no-JS forms: this is a JSON API, whatever the client says it accepts.
    parts.headers.remove(header::REFERER);
    parts.headers.remove(header::ACCEPT);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let req = Request::from_parts(parts, Body::from(bytes));
    // What `leptos_axum::handle_server_fns_with_context` does, less a reactive owner around
    // each call (see [`Call`]), a copy of the request's parts in the context, which no function
    // reads, and its own redirect for HTML form posts (see the `Accept` and `Referer` removal
    // above); and less the lookup of the function by path in `server_fn`'s own table on every
    // call (a key allocated, a lock, a boxed service).
    let res = Call::new(api.app.clone(), caller)
        .respond(declared.server_fn.handler(req))
        .await;
    finish(declared, res).await
}

/// Gives a server function's error response the status and headers its code implies, and an
/// export its media type and file name.
async fn finish(declared: &Declared, res: Response) -> Response {
    let endpoint = declared.endpoint;
    let (mut parts, body) = res.into_parts();
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if !parts
        .headers
        .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        if endpoint.produces != "application/json" && parts.status.is_success() {
            let media = format!("{}; charset=utf-8", endpoint.produces);
            let file = format!(
                "attachment; filename=\"{}.csv\"",
                declared.name.replace('.', "-")
            );
            for (name, value) in [
                (header::CONTENT_TYPE, media),
                (header::CONTENT_DISPOSITION, file),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    parts.headers.insert(name, value);
                }
            }
        }
        return Response::from_parts(parts, body);
    }
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let error: ApiError = serde_json::from_slice(&bytes).unwrap_or(ApiError::Internal);
    parts
        .headers
        .remove(server_fn::error::SERVER_FN_ERROR_HEADER);
    parts.status =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    decorate(&error, &mut parts.headers);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_check_passes_only_what_the_full_check_passes_unchanged() {
        let fields: BTreeSet<String> = ["key", "ip", "page"].map(String::from).into();
        for body in [
            r#"{"key":"lsk_abc","ip":null}"#,
            r#" { "page" : 3 } "#,
            r#"{"page":-1,"key":"x"}"#,
            r#"{"key":true}"#,
            "{}",
            r#"{"page":18446744073709551615}"#,
            r#"{"key":"a","key":"b"}"#,
        ] {
            assert!(plain_arguments(&fields, body.as_bytes()), "{body}");
            let checked = full_check(&fields, body.as_bytes().to_vec().into());
            assert_eq!(checked.ok().as_deref(), Some(body.as_bytes()), "{body}");
        }
        // Left to the full check: what it refuses, rewrites, or must look into.
        for body in [
            r#"{"key":"a\u0000"}"#,
            r#"{"key":"line\nbreak"}"#,
            r#"{"ke\u0079":"a"}"#,
            r#"{"page":5.0}"#,
            r#"{"page":1e400}"#,
            r#"{"page":1E2}"#,
            r#"{"page":-0}"#,
            r#"{"page":18446744073709551616}"#,
            r#"{"other":1}"#,
            r#"{"key":["a"]}"#,
            r#"{"key":{"a":1}}"#,
            r#"["key"]"#,
            r#"{"key":"a"} {}"#,
            r#"{"key":"a""#,
            "",
        ] {
            assert!(!plain_arguments(&fields, body.as_bytes()), "{body}");
        }
    }
}

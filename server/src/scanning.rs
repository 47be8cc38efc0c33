//! `POST /api/v1/secret_scanning.report`: where a secret-scanning partner (GitHub's format)
//! reports our keys found in public. Public, but only signed reports are read: the signing
//! key's identifier is checked before the body is read and the signature over the raw body
//! before anything else; a bad one changes nothing and counts against the sender's address
//! (too many answer 429), apart from failed keys.

use app::{
    api::{
        error::ApiError,
        types::{LeakLabel, LeakReport},
    },
    server::{
        gate::{client_ip, Peer},
        ratelimit::address_group,
        scanning::{self, KEY_ID_HEADER, MAX_REPORT_BYTES, MAX_REPORT_TOKENS, SIGNATURE_HEADER},
    },
};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, StatusCode};

use crate::api::{error_response, ApiState};

/// The name the endpoint goes by in logs and metrics.
pub const NAME: &str = "secret_scanning.report";

pub async fn report(State(api): State<ApiState>, req: Request<Body>) -> Response {
    let timer = app::server::metrics::CallTimer::start();
    let res = handle(&api, req).await;
    timer.finish(NAME, res.status().as_u16());
    res
}

async fn handle(api: &ApiState, req: Request<Body>) -> Response {
    let Some(keys) = api.app.settings.scanning_keys.clone() else {
        return error_response(&ApiError::not_found("API function"));
    };
    let (parts, body) = req.into_parts();
    let peer = parts.extensions.get::<Peer>();
    let from = client_ip(&parts.headers, peer, api.app.settings.trust_proxy);
    // Refused reports count against their sender's address, as failed keys do, in a window of
    // their own (a misconfigured scanner does not lock out keys used from the same address).
    let address = from
        .as_deref()
        .map_or_else(|| "unknown".to_owned(), address_group);
    let subject = format!("scanning report from {address}");
    let limit = api.app.settings.failed_auth_per_minute;
    // An address over its limit is told so before any work (no body read, no signature check).
    if let Err(retry_after) = api
        .app
        .auth_failures
        .over(&subject, limit, api.app.clock.now_ms())
    {
        return error_response(&ApiError::RateLimited { retry_after });
    }
    let refuse =
        |error: ApiError| match api
            .app
            .auth_failures
            .hit(&subject, limit, api.app.clock.now_ms())
        {
            Err(retry_after) => error_response(&ApiError::RateLimited { retry_after }),
            Ok(()) => error_response(&error),
        };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(key_id), Some(signature)) = (header(KEY_ID_HEADER), header(SIGNATURE_HEADER)) else {
        return refuse(ApiError::InvalidSignature);
    };
    if !keys.knows(key_id) {
        return refuse(ApiError::InvalidSignature);
    }
    let declared_too_large = header(header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_REPORT_BYTES);
    if declared_too_large {
        return error_response(&ApiError::PayloadTooLarge);
    }
    let body = match tokio::time::timeout(
        api.app.settings.body_timeout,
        to_bytes(body, MAX_REPORT_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return error_response(&ApiError::PayloadTooLarge),
        Err(_) => return error_response(&ApiError::RequestTimeout),
    };
    if !keys.verify(key_id, signature, &body) {
        tracing::warn!(
            key_id,
            "secret-scanning report with a bad signature refused"
        );
        return refuse(ApiError::InvalidSignature);
    }
    let reports: Vec<LeakReport> = match serde_json::from_slice(&body) {
        Ok(reports) => reports,
        Err(_) => {
            return error_response(&ApiError::BadRequest(
                "A report is a JSON array of {token, type, url, source}.".into(),
            ))
        }
    };
    if reports.len() > MAX_REPORT_TOKENS {
        return error_response(&ApiError::validation(
            "token",
            format!("At most {MAX_REPORT_TOKENS} tokens per report."),
        ));
    }
    match scanning::process(&api.app.keys, &reports, from.as_deref()).await {
        Ok(verdicts) => {
            let found = verdicts
                .iter()
                .filter(|v| v.label == LeakLabel::TruePositive)
                .count();
            tracing::info!(
                key_id,
                reported = reports.len(),
                found,
                "secret-scanning report handled"
            );
            let mut res = (StatusCode::OK, axum::Json(verdicts)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => error_response(&ApiError::from(e)),
    }
}

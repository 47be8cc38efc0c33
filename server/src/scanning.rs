//! `POST /api/v1/secret_scanning.report`: where a secret-scanning partner (GitHub's format)
//! reports our keys found in public. Public, but only signed reports are read: the signature
//! over the raw body is checked before anything else, and a bad one changes nothing.

use app::{
    api::{error::ApiError, types::LeakReport},
    server::scanning::{
        self, KEY_ID_HEADER, MAX_REPORT_BYTES, MAX_REPORT_TOKENS, SIGNATURE_HEADER,
    },
};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, StatusCode};

use crate::api::{error_response, ApiState};

pub async fn report(State(api): State<ApiState>, req: Request<Body>) -> Response {
    let Some(keys) = api.app.settings.scanning_keys.clone() else {
        return error_response(&ApiError::not_found("API function"));
    };
    tracing::Span::current().record("function", "secret_scanning.report");
    let (parts, body) = req.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(key_id), Some(signature)) = (header(KEY_ID_HEADER), header(SIGNATURE_HEADER)) else {
        return error_response(&ApiError::InvalidSignature);
    };
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
    if !keys.verify(&key_id, &signature, &body) {
        tracing::warn!(key_id = %key_id, "secret-scanning report with a bad signature refused");
        return error_response(&ApiError::InvalidSignature);
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
    match scanning::process(&api.app.keys, &reports).await {
        Ok(verdicts) => {
            let found = verdicts
                .iter()
                .filter(|v| v.label == app::api::types::LeakLabel::TruePositive)
                .count();
            tracing::info!(
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

//! Health endpoints: `/healthz` checks the database, `/livez` only answers.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use sea_orm::DbBackend;
use serde_json::json;

use crate::api::ApiState;

pub async fn healthz(State(api): State<ApiState>) -> impl IntoResponse {
    let db = &api.app.db;
    let reachable = matches!(
        tokio::time::timeout(Duration::from_secs(2), db.ping()).await,
        Ok(Ok(()))
    );
    let backend = match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    };
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "status": if reachable { "ok" } else { "unavailable" },
            "database": if reachable { "ok" } else { "unreachable" },
            "backend": backend,
            "version": env!("CARGO_PKG_VERSION"),
        })),
    )
}

/// Liveness, with no I/O: also the baseline route of the load benchmark.
pub async fn livez() -> &'static str {
    "ok"
}

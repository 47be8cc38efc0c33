//! `/metrics` in the Prometheus text format, on its own address (`--metrics-listen`), so it is
//! never public by accident. Off unless that address is given: no recorder, no cost.

use std::net::SocketAddr;

use app::server::{metrics as names, AppState};
use axum::{routing::get, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DbBackend;

use crate::error::StartupError;

/// Installs the recorder and serves `/metrics` on `addr` until the process ends.
pub async fn serve(addr: SocketAddr, state: AppState) -> Result<(), StartupError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(names::REQUEST_SECONDS.to_owned()),
            &names::LATENCY_BUCKETS,
        )
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| StartupError::Metrics(e.to_string()))?;
    names::turn_on();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartupError::Listen {
            addr: addr.to_string(),
            message: e.to_string(),
        })?;
    // Histograms keep their samples until drained: drain them on a timer, not only on scrapes
    // (a scraper that is down must not make memory grow).
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let (handle, state) = (handle.clone(), state.clone());
            async move { render(&handle, &state) }
        }),
    );
    tracing::info!(%addr, "metrics on http://{addr}/metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
    Ok(())
}

fn render(handle: &PrometheusHandle, state: &AppState) -> String {
    // The pool is sampled when scraped.
    let (idle, size) = match state.db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (pool.num_idle(), pool.size())
        }
        _ => {
            let pool = state.db.get_postgres_connection_pool();
            (pool.num_idle(), pool.size())
        }
    };
    names::db_pool(idle, size, app::server::db::writes_waiting(&state.db));
    handle.render()
}

//! What operators scrape at `/metrics` (on `--metrics-listen`): every metric's name in one
//! place, recorded through the `metrics` facade, which costs next to nothing until the server
//! installs a recorder.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::api::error::KeyRejection;

/// Whether a recorder is installed: until then recording is skipped outright, so the hot path
/// builds no labels (no allocation per request) for metrics nobody collects.
static ON: AtomicBool = AtomicBool::new(false);

/// Called once the server has installed its recorder (`--metrics-listen`).
pub fn turn_on() {
    ON.store(true, Ordering::Relaxed);
}

fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Server-function calls, by function (`keys.verify`) and HTTP status.
pub const REQUESTS: &str = "ls_requests_total";
/// Their latency, by function.
pub const REQUEST_SECONDS: &str = "ls_request_duration_seconds";
/// Key verifications (the gate's and `keys.verify`'s), by outcome: `valid` or a rejection.
pub const VERIFICATIONS: &str = "ls_key_verifications_total";
/// Verification cache lookups, by result: `hit` or `miss`.
pub const CACHE_LOOKUPS: &str = "ls_key_cache_lookups_total";
/// Keys written by the last usage flush.
pub const USAGE_FLUSH_KEYS: &str = "ls_usage_flush_keys";
/// Age of the oldest use the last flush wrote (how far Last Used lags behind).
pub const USAGE_FLUSH_LAG_SECONDS: &str = "ls_usage_flush_lag_seconds";
/// Usage flushes that failed (their counts are kept for the next try).
pub const USAGE_FLUSH_FAILURES: &str = "ls_usage_flush_failures_total";
/// Database pool connections, by state: `idle` or `in_use` (sampled at each scrape).
pub const DB_POOL_CONNECTIONS: &str = "ls_db_pool_connections";
/// SQLite writes waiting for their turn at the write lock (sampled at each scrape).
pub const DB_WRITES_WAITING: &str = "ls_db_writes_waiting";
/// Password attempts refused by the login throttle (logins, confirmations, password changes).
pub const LOGIN_THROTTLED: &str = "ls_login_throttled_total";

/// Latency buckets for [`REQUEST_SECONDS`], in seconds: 100 µs to 2.5 s.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// One key verification: valid, or why it was refused.
pub fn verification(rejected: Option<KeyRejection>) {
    if !on() {
        return;
    }
    let label = rejected.map_or("valid", KeyRejection::as_str);
    metrics::counter!(VERIFICATIONS, "outcome" => label).increment(1);
}

pub fn cache_lookup(hit: bool) {
    if !on() {
        return;
    }
    metrics::counter!(CACHE_LOOKUPS, "result" => if hit { "hit" } else { "miss" }).increment(1);
}

pub fn login_throttled() {
    if !on() {
        return;
    }
    metrics::counter!(LOGIN_THROTTLED).increment(1);
}

pub fn usage_flushed(keys: usize, oldest_use_ms: i64, now_ms: i64) {
    if !on() {
        return;
    }
    metrics::gauge!(USAGE_FLUSH_KEYS).set(keys as f64);
    metrics::gauge!(USAGE_FLUSH_LAG_SECONDS).set((now_ms - oldest_use_ms).max(0) as f64 / 1000.0);
}

pub fn usage_flush_failed() {
    if !on() {
        return;
    }
    metrics::counter!(USAGE_FLUSH_FAILURES).increment(1);
}

/// One server-function call's timing, from its start: the clock is read only when a recorder
/// is installed (on a cached call, reading it is a measurable share).
pub struct CallTimer(Option<std::time::Instant>);

impl CallTimer {
    pub fn start() -> Self {
        Self(on().then(std::time::Instant::now))
    }

    /// Counts the call, by function and status, and records its latency.
    pub fn finish(self, function: &'static str, status: u16) {
        let Some(started) = self.0 else {
            return;
        };
        metrics::counter!(REQUESTS, "function" => function, "status" => status.to_string())
            .increment(1);
        metrics::histogram!(REQUEST_SECONDS, "function" => function)
            .record(started.elapsed().as_secs_f64());
    }
}

pub fn db_pool(idle: usize, size: u32, writes_waiting: usize) {
    if !on() {
        return;
    }
    metrics::gauge!(DB_WRITES_WAITING).set(writes_waiting as f64);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use")
        .set(f64::from(size).max(idle as f64) - idle as f64);
}

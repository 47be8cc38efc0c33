//! The delivery worker: claims due deliveries (a lease no other replica's worker takes over
//! before it lapses; `FOR UPDATE SKIP LOCKED` on PostgreSQL), signs and sends each, logs the
//! attempt, and schedules the retry or marks the delivery done. It also produces expiry events
//! and drops messages past their retention.

use std::{collections::HashMap, sync::Arc, time::Instant};

use sea_orm::{
    sea_query::{Expr, LockBehavior, LockType, Query},
    ActiveModelTrait, ColumnTrait, Condition, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use tokio::sync::{watch, Semaphore};

use crate::api::{
    types::AuditAction,
    webhooks::types::{
        DeliveryStatus, WEBHOOK_DISABLE_AFTER_FAILING_SECS, WEBHOOK_RESPONSE_EXCERPT_BYTES,
        WEBHOOK_RETRY_SCHEDULE_SECS,
    },
};
use crate::server::{
    audit::Actor,
    clock::{from_ms, DAY_MS},
    db,
    entities::{
        key_expiry_notices, webhook_attempts, webhook_deliveries, webhook_endpoints,
        webhook_messages,
    },
    error::ServiceResult,
};

use super::{expiry, signing, target, Webhooks};

/// Deliveries one replica sends at once. Each is claimed only when a slot is free and sent at
/// once, so it finishes (or times out) well within its lease: no other replica takes it over
/// while it is in flight.
const CONCURRENCY: usize = 8;
/// Of those, at most this many to one endpoint: a slow or dead receiver cannot hold up the rest.
const PER_ENDPOINT: usize = 2;
/// Due deliveries looked at per claim, to find some for endpoints not at their limit.
const CANDIDATES: u64 = 64;
/// Messages (with their deliveries and attempts) are kept this long.
pub const RETENTION_DAYS: i64 = 30;

/// When the attempt after `attempts` failed ones is due, or `None` when none is left.
pub fn retry_delay_ms(attempts: u32) -> Option<i64> {
    WEBHOOK_RETRY_SCHEDULE_SECS
        .get(attempts as usize)
        .map(|secs| *secs as i64 * 1000)
}

/// Runs until `stop` turns true: delivers what is due (at once when woken), scans for expiring
/// keys, prunes old messages.
pub async fn run(
    webhooks: Arc<Webhooks>,
    wake: Arc<tokio::sync::Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let settings = webhooks.settings.clone();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let in_flight: InFlight = Arc::default();
    let mut last_scan: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(settings.poll_interval) => {}
            _ = stop.changed() => break,
        }
        if last_scan.is_none_or(|t| t.elapsed() >= settings.expiry_scan_interval) {
            last_scan = Some(Instant::now());
            if let Err(e) = expiry::scan(&webhooks.db, webhooks.clock.now_ms()).await {
                tracing::error!(error = %e, "expiry scan failed; will retry");
            }
        }
        if last_prune.is_none_or(|t| t.elapsed().as_secs() >= 3600) {
            last_prune = Some(Instant::now());
            if let Err(e) = prune(&webhooks).await {
                tracing::error!(error = %e, "pruning old webhook messages failed; will retry");
            }
        }
        if settings.deliver {
            if let Err(e) = webhooks.dispatch(&slots, &in_flight, &wake).await {
                tracing::error!(error = %e, "claiming webhook deliveries failed; will retry");
            }
        }
    }
}

/// Deliveries in flight on this replica, per endpoint.
type InFlight = Arc<std::sync::Mutex<HashMap<String, usize>>>;

async fn prune(webhooks: &Webhooks) -> ServiceResult<()> {
    let before = webhooks.clock.now_ms() - RETENTION_DAYS * DAY_MS;
    let txn = db::begin_write(&webhooks.db).await?;
    // Their deliveries and attempts go with them (ON DELETE CASCADE).
    webhook_messages::Entity::delete_many()
        .filter(webhook_messages::Column::CreatedAt.lt(before))
        .exec(&txn)
        .await?;
    // Notices of expiries long past are no longer needed to hold anything back.
    key_expiry_notices::Entity::delete_many()
        .filter(key_expiry_notices::Column::ExpiresAt.lt(before))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// What one attempt came to.
struct Outcome {
    status_code: Option<u16>,
    response: String,
    error: Option<String>,
    duration_ms: u64,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

impl Webhooks {
    /// Claims due deliveries while slots are free and sends each in a task of its own; a task
    /// that ends wakes the worker to fill its slot.
    async fn dispatch(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        in_flight: &InFlight,
        wake: &Arc<tokio::sync::Notify>,
    ) -> ServiceResult<()> {
        loop {
            let free = slots.available_permits();
            if free == 0 {
                return Ok(());
            }
            let busy = in_flight.lock().expect("in-flight lock").clone();
            let claimed = self.claim(free, &busy).await?;
            if claimed.is_empty() {
                return Ok(());
            }
            for delivery in claimed {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    // Cannot happen (claims never exceed free slots); the lease lapses if it does.
                    break;
                };
                *in_flight
                    .lock()
                    .expect("in-flight lock")
                    .entry(delivery.endpoint_id.clone())
                    .or_default() += 1;
                let (this, in_flight, wake) = (self.clone(), in_flight.clone(), wake.clone());
                tokio::spawn(async move {
                    let endpoint = delivery.endpoint_id.clone();
                    if let Err(e) = this.deliver(delivery).await {
                        tracing::error!(error = %e, "webhook delivery could not be recorded");
                    }
                    let mut map = in_flight.lock().expect("in-flight lock");
                    if let Some(n) = map.get_mut(&endpoint) {
                        *n -= 1;
                        if *n == 0 {
                            map.remove(&endpoint);
                        }
                    }
                    drop(map);
                    drop(permit);
                    wake.notify_one();
                });
            }
        }
    }

    /// Leases up to `slots` due deliveries of enabled endpoints to this worker, oldest due
    /// first, at most [`PER_ENDPOINT`] per endpoint counting those `busy` already.
    async fn claim(
        &self,
        slots: usize,
        busy: &HashMap<String, usize>,
    ) -> ServiceResult<Vec<webhook_deliveries::Model>> {
        let now = self.clock.now_ms();
        // Longer than an attempt can take, with room for clocks a little apart between replicas.
        let lease_ms = (self.settings.timeout.as_millis() as i64) * 2 + 10_000;
        let lease = uuid::Uuid::now_v7().to_string();
        let free = || {
            Condition::all()
                .add(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.as_str()))
                .add(webhook_deliveries::Column::NextAttemptAt.lte(now))
                .add(
                    Condition::any()
                        .add(webhook_deliveries::Column::LeasedUntil.is_null())
                        .add(webhook_deliveries::Column::LeasedUntil.lt(now)),
                )
                .add(
                    webhook_deliveries::Column::EndpointId.in_subquery(
                        Query::select()
                            .column(webhook_endpoints::Column::Id)
                            .from(webhook_endpoints::Entity)
                            .and_where(webhook_endpoints::Column::DisabledAt.is_null())
                            .to_owned(),
                    ),
                )
        };
        // A read first: the common idle round takes no write lock (SQLite has one for all).
        if webhook_deliveries::Entity::find()
            .filter(free())
            .one(&self.db)
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        let txn = db::begin_write(&self.db).await?;
        let mut candidates = webhook_deliveries::Entity::find()
            .select_only()
            .column(webhook_deliveries::Column::Id)
            .column(webhook_deliveries::Column::EndpointId)
            .filter(free())
            .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
            .limit(CANDIDATES);
        if self.db.get_database_backend() == DatabaseBackend::Postgres {
            // Rows another replica is claiming are skipped, not waited for.
            candidates = candidates.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let candidates: Vec<(String, String)> = candidates.into_tuple().all(&txn).await?;
        let mut taken = busy.clone();
        let chosen: Vec<String> = candidates
            .into_iter()
            .filter(|(_, endpoint)| {
                let n = taken.entry(endpoint.clone()).or_default();
                *n += 1;
                *n <= PER_ENDPOINT
            })
            .map(|(id, _)| id)
            .take(slots)
            .collect();
        if chosen.is_empty() {
            txn.rollback().await?;
            return Ok(Vec::new());
        }
        let claimed = webhook_deliveries::Entity::update_many()
            .col_expr(webhook_deliveries::Column::Lease, Expr::value(lease))
            .col_expr(
                webhook_deliveries::Column::LeasedUntil,
                Expr::value(now + lease_ms),
            )
            .filter(webhook_deliveries::Column::Id.is_in(chosen))
            // Again on the row itself: a row another claim took meanwhile no longer qualifies.
            .filter(free())
            .exec_with_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(claimed)
    }

    /// One attempt: sign, send, log, then schedule the next or close the delivery.
    async fn deliver(&self, delivery: webhook_deliveries::Model) -> ServiceResult<()> {
        let (Some(message), Some(endpoint)) = (
            webhook_messages::Entity::find_by_id(&delivery.message_id)
                .one(&self.db)
                .await?,
            webhook_endpoints::Entity::find_by_id(&delivery.endpoint_id)
                .one(&self.db)
                .await?,
        ) else {
            // Its message or endpoint is gone (deleted meanwhile): nothing left to send.
            let txn = db::begin_write(&self.db).await?;
            webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::Status,
                    Expr::value(DeliveryStatus::Failed.as_str()),
                )
                .col_expr(
                    webhook_deliveries::Column::Lease,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    webhook_deliveries::Column::LeasedUntil,
                    Expr::value(Option::<i64>::None),
                )
                .filter(webhook_deliveries::Column::Id.eq(delivery.id.as_str()))
                .filter(webhook_deliveries::Column::Lease.eq(delivery.lease.clone()))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            return Ok(());
        };
        let outcome = self.send(&message, &endpoint).await;
        self.record_attempt(&delivery, &endpoint, outcome).await
    }

    async fn send(
        &self,
        message: &webhook_messages::Model,
        endpoint: &webhook_endpoints::Model,
    ) -> Outcome {
        let started = Instant::now();
        let failed = |error: String| Outcome {
            status_code: None,
            response: String::new(),
            error: Some(error),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        // The policy of this replica, now: a URL saved under a laxer one is not sent.
        let url = match target::parse_url("url", &endpoint.url, self.settings.targets) {
            Ok(url) => url,
            Err(e) => return failed(format!("Not sent: {e}")),
        };
        if let Err(e) = target::check_literal(&url, self.settings.targets) {
            return failed(format!("Not sent: {e}."));
        }
        let secrets = match self.signing_secrets(endpoint, self.clock.now_ms()) {
            Ok(secrets) => secrets,
            Err(e) => {
                tracing::error!(endpoint_id = %endpoint.id, error = %e, "webhook signing secret cannot be opened");
                return failed(
                    "Not sent: the signing secret cannot be opened (see the server log).".into(),
                );
            }
        };
        // The signature's timestamp is the wall clock: receivers compare it with theirs.
        let timestamp = chrono::Utc::now().timestamp();
        let keys: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
        let signature = signing::header(&keys, &message.id, timestamp, &message.payload);
        let sent = self
            .http
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.payload.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return failed(describe(&e)),
        };
        let status = response.status().as_u16();
        // Only the first 1 KB of the body is read (and kept).
        let mut body = Vec::new();
        let mut error = None;
        while body.len() < WEBHOOK_RESPONSE_EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    error = Some(describe(&e));
                    break;
                }
            }
        }
        body.truncate(WEBHOOK_RESPONSE_EXCERPT_BYTES);
        let mut text = String::from_utf8_lossy(&body).into_owned();
        // A cut may leave half a character: drop the replacement it became.
        if body.len() == WEBHOOK_RESPONSE_EXCERPT_BYTES && text.ends_with('\u{FFFD}') {
            text.pop();
        }
        // Binary answers are kept as text: NUL (which PostgreSQL text refuses) and other
        // control characters but line breaks and tabs become U+FFFD.
        let text: String = text
            .chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => c,
                c if c.is_control() => '\u{FFFD}',
                c => c,
            })
            .collect();
        if error.is_none() && !(200..300).contains(&status) {
            error = Some(format!("The endpoint answered {status}."));
        }
        Outcome {
            status_code: Some(status),
            response: text,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn record_attempt(
        &self,
        delivery: &webhook_deliveries::Model,
        endpoint: &webhook_endpoints::Model,
        outcome: Outcome,
    ) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let attempt = delivery.attempts + 1;
        let succeeded = outcome.succeeded();
        let txn = db::begin_write(&self.db).await?;
        // The endpoint first, as `delete` locks it (one lock order, no deadlock), and locked,
        // so that an admin's enable in between is not undone by a stale read.
        let current = webhook_endpoints::Entity::find_by_id(&endpoint.id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let next = (!succeeded)
            .then(|| retry_delay_ms(attempt as u32))
            .flatten();
        let status = match (succeeded, next) {
            (true, _) => DeliveryStatus::Succeeded,
            (false, Some(_)) => DeliveryStatus::Pending,
            (false, None) => DeliveryStatus::Failed,
        };
        // Only while the lease is this worker's: a lapsed lease means another took over, and
        // its attempt is the one that counts.
        let held = webhook_deliveries::Entity::update_many()
            .col_expr(webhook_deliveries::Column::Attempts, Expr::value(attempt))
            .col_expr(
                webhook_deliveries::Column::Status,
                Expr::value(status.as_str()),
            )
            .col_expr(
                webhook_deliveries::Column::NextAttemptAt,
                Expr::value(now + next.unwrap_or(0)),
            )
            .col_expr(
                webhook_deliveries::Column::LastStatusCode,
                Expr::value(outcome.status_code.map(i32::from)),
            )
            .col_expr(
                webhook_deliveries::Column::Lease,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                webhook_deliveries::Column::LeasedUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_deliveries::Column::Id.eq(delivery.id.as_str()))
            .filter(webhook_deliveries::Column::Lease.eq(delivery.lease.clone()))
            .exec(&txn)
            .await?
            .rows_affected;
        if held == 0 {
            txn.rollback().await?;
            tracing::warn!(message_id = %delivery.message_id, "webhook delivery outlived its lease; its result is dropped");
            return Ok(());
        }
        webhook_attempts::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            delivery_id: Set(delivery.id.clone()),
            endpoint_id: Set(endpoint.id.clone()),
            message_id: Set(delivery.message_id.clone()),
            attempt: Set(attempt),
            at: Set(now),
            status_code: Set(outcome.status_code.map(i32::from)),
            duration_ms: Set(outcome.duration_ms as i64),
            response: Set(outcome.response),
            error: Set(outcome.error.clone()),
            succeeded: Set(succeeded),
        }
        .insert(&txn)
        .await?;
        if let Some(current) = current {
            self.judge_endpoint(&txn, current, succeeded, now, outcome.error.as_deref())
                .await?;
        }
        txn.commit().await?;
        if !succeeded {
            tracing::warn!(
                endpoint_id = %endpoint.id,
                message_id = %delivery.message_id,
                attempt,
                status = ?outcome.status_code,
                error = outcome.error.as_deref().unwrap_or(""),
                "webhook delivery failed"
            );
        }
        Ok(())
    }

    /// A success clears the endpoint's failing streak; a failure starts it, and after
    /// five days of failures only, disables the endpoint (audited, with the reason shown).
    async fn judge_endpoint(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        endpoint: webhook_endpoints::Model,
        succeeded: bool,
        now: i64,
        error: Option<&str>,
    ) -> ServiceResult<()> {
        if succeeded {
            if endpoint.failing_since.is_some() {
                let mut active: webhook_endpoints::ActiveModel = endpoint.into();
                active.failing_since = Set(None);
                active.update(txn).await?;
            }
            return Ok(());
        }
        let since = endpoint.failing_since.unwrap_or(now);
        let give_up = endpoint.disabled_at.is_none()
            && now - since >= WEBHOOK_DISABLE_AFTER_FAILING_SECS as i64 * 1000;
        if endpoint.failing_since.is_some() && !give_up {
            return Ok(());
        }
        let id = endpoint.id.clone();
        let mut active: webhook_endpoints::ActiveModel = endpoint.into();
        active.failing_since = Set(Some(since));
        if give_up {
            let reason = format!(
                "Disabled automatically: every delivery failed since {} (last error: {}).",
                from_ms(since).format("%Y-%m-%d %H:%M UTC"),
                error.unwrap_or("none recorded")
            );
            active.disabled_at = Set(Some(now));
            active.disabled_reason = Set(Some(reason.clone()));
            active.updated_at = Set(now);
            super::record(
                txn,
                now,
                &Actor::system("webhook delivery"),
                AuditAction::WebhookDisabled,
                serde_json::json!({"endpoint_id": id, "reason": reason}),
            )
            .await?;
            tracing::warn!(endpoint_id = %id, "webhook endpoint disabled after failing for five days");
        }
        active.update(txn).await?;
        Ok(())
    }
}

/// A transport error as the deliveries log shows it (never the URL: it is on the page).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "Timed out"
    } else if e.is_connect() {
        "Could not connect"
    } else if e.is_body() || e.is_decode() {
        "The response broke off"
    } else {
        "The request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut root = None;
    while let Some(s) = source {
        root = Some(s.to_string());
        source = s.source();
    }
    match root {
        Some(root) => format!("{what}: {root}."),
        None => format!("{what}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let delays: Vec<Option<i64>> = (1..=9).map(retry_delay_ms).collect();
        assert_eq!(
            delays,
            vec![
                Some(5_000),
                Some(300_000),
                Some(1_800_000),
                Some(7_200_000),
                Some(18_000_000),
                Some(36_000_000),
                Some(36_000_000),
                None,
                None
            ]
        );
    }
}

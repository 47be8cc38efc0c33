//! Write-behind usage tracking: uses are counted in memory and flushed in one transaction
//! (at least every second, and on shutdown) instead of one database write per request.

use std::{collections::BTreeMap, sync::Mutex};

use rustc_hash::FxHashMap;

use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, OnConflict},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::server::{
    clock::{from_ms, DAY_MS},
    entities::{api_keys, key_usage_daily},
    error::ServiceResult,
    metrics,
};

#[derive(Debug, Default)]
struct Pending {
    count: i64,
    /// The earliest use buffered (how long Last Used has lagged when this is written).
    first_at: i64,
    last_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    /// Uses per UTC day (days since the Unix epoch), named only when written.
    per_day: BTreeMap<i64, i64>,
}

/// By key id. The ids are the server's own (only verified keys are recorded), so a fast hash
/// without a random seed cannot be flooded, and each use hashes its key id cheaply.
#[derive(Default)]
pub struct UsageBuffer {
    pending: Mutex<FxHashMap<String, Pending>>,
}

/// `YYYY-MM-DD` (UTC) of a day number.
fn day_name(day: i64) -> String {
    from_ms(day * DAY_MS).format("%Y-%m-%d").to_string()
}

impl UsageBuffer {
    pub fn record(&self, key_id: &str, at_ms: i64, ip: Option<&str>, user_agent: Option<&str>) {
        let mut pending = self.pending.lock().expect("usage lock");
        // The hot path: no allocation once a key has a pending entry.
        if !pending.contains_key(key_id) {
            pending.insert(
                key_id.to_owned(),
                Pending {
                    first_at: at_ms,
                    ..Pending::default()
                },
            );
        }
        let entry = pending.get_mut(key_id).expect("inserted above");
        entry.count += 1;
        *entry.per_day.entry(at_ms.div_euclid(DAY_MS)).or_default() += 1;
        if at_ms >= entry.last_at {
            entry.last_at = at_ms;
            if entry.ip.as_deref() != ip {
                entry.ip = ip.map(str::to_owned);
            }
            if entry.user_agent.as_deref() != user_agent {
                entry.user_agent = user_agent.map(str::to_owned);
            }
        }
    }

    /// Writes everything buffered so far; on failure the counts are put back for the next try.
    pub async fn flush(&self, db: &DatabaseConnection) -> ServiceResult<usize> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("usage lock"));
        if batch.is_empty() {
            // Nothing waited: nothing lags (an old lag must not stay on the gauge).
            metrics::usage_flushed(0, 0, 0);
            return Ok(0);
        }
        let keys = batch.len();
        let oldest = batch.values().map(|p| p.first_at).min().unwrap_or_default();
        match write(db, &batch).await {
            Ok(()) => {
                metrics::usage_flushed(keys, oldest, chrono::Utc::now().timestamp_millis());
                Ok(keys)
            }
            Err(e) => {
                metrics::usage_flush_failed();
                let mut pending = self.pending.lock().expect("usage lock");
                for (key_id, old) in batch {
                    let entry = pending.entry(key_id).or_default();
                    entry.count += old.count;
                    entry.first_at = if entry.count == old.count {
                        old.first_at
                    } else {
                        Ord::min(entry.first_at, old.first_at)
                    };
                    for (day, n) in old.per_day {
                        *entry.per_day.entry(day).or_default() += n;
                    }
                    if old.last_at > entry.last_at {
                        entry.last_at = old.last_at;
                        entry.ip = old.ip;
                        entry.user_agent = old.user_agent;
                    }
                }
                Err(e)
            }
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &FxHashMap<String, Pending>) -> ServiceResult<()> {
    // Rows are locked in key-id order, as bulk deletes and other replicas' flushes lock them,
    // so two of these can never wait on each other in a cycle (deadlock) on PostgreSQL.
    let mut ordered: Vec<(&String, &Pending)> = batch.iter().collect();
    ordered.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let txn = crate::server::db::begin_write(db).await?;
    for (key_id, p) in ordered {
        let newer = Expr::col(api_keys::Column::LastUsedAt)
            .is_null()
            .or(Expr::col(api_keys::Column::LastUsedAt).lt(p.last_at));
        let updated = api_keys::Entity::update_many()
            .col_expr(
                api_keys::Column::UsageCount,
                Expr::col(api_keys::Column::UsageCount).add(p.count),
            )
            .col_expr(
                api_keys::Column::LastUsedIp,
                Expr::case(newer.clone(), p.ip.clone())
                    .finally(Expr::col(api_keys::Column::LastUsedIp))
                    .into(),
            )
            .col_expr(
                api_keys::Column::LastUsedUserAgent,
                Expr::case(newer, p.user_agent.clone())
                    .finally(Expr::col(api_keys::Column::LastUsedUserAgent))
                    .into(),
            )
            .col_expr(
                api_keys::Column::LastUsedAt,
                Func::greatest([
                    Expr::from(Func::coalesce([
                        Expr::col(api_keys::Column::LastUsedAt),
                        Expr::val(0i64),
                    ])),
                    Expr::val(p.last_at),
                ])
                .into(),
            )
            .filter(api_keys::Column::Id.eq(key_id.as_str()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            continue; // the key was deleted meanwhile; its uses go with it
        }
        let rows = p
            .per_day
            .iter()
            .map(|(day, n)| key_usage_daily::ActiveModel {
                key_id: sea_orm::Set(key_id.clone()),
                day: sea_orm::Set(day_name(*day)),
                count: sea_orm::Set(*n),
            });
        key_usage_daily::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([key_usage_daily::Column::KeyId, key_usage_daily::Column::Day])
                    .value(
                        key_usage_daily::Column::Count,
                        Expr::cust("key_usage_daily.count + excluded.count"),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

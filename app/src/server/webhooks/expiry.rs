//! Expiry events: `key.expiring` 7 days and again 1 day before a key expires, `key.expired`
//! once it has. Each is produced once per key, expiry and threshold, across replicas: a notice
//! row is inserted (or found) in the transaction that writes the event, so a second replica's
//! scan of the same key writes nothing.

use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};

use crate::api::webhooks::types::WebhookEvent;
use crate::server::{
    clock::DAY_MS,
    db,
    entities::{api_keys, key_expiry_notices},
    error::ServiceResult,
};

use super::outbox;

/// The thresholds, tightest first: the tightest that applies is sent, and the looser ones are
/// noted as passed (a key made to expire in 12 hours gets one `key.expiring`, not two).
const THRESHOLDS: [(&str, i64, WebhookEvent); 3] = [
    ("expired", 0, WebhookEvent::KeyExpired),
    ("1d", DAY_MS, WebhookEvent::KeyExpiring),
    ("7d", 7 * DAY_MS, WebhookEvent::KeyExpiring),
];

/// Keys that expired longer ago than this get no `key.expired`: a scan after an outage of up to
/// a week still sends them, and the first scan after an upgrade replays no older history.
const EXPIRED_LOOKBACK_MS: i64 = 7 * DAY_MS;

/// The thresholds a key expiring at `expires_at` has reached at `now`, tightest first.
pub fn reached(expires_at: i64, now: i64) -> Vec<(&'static str, WebhookEvent)> {
    THRESHOLDS
        .iter()
        .filter(|(_, before, _)| expires_at - before <= now)
        .map(|(name, _, event)| (*name, *event))
        .collect()
}

/// One pass: every enabled key expiring within 7 days (or expired within a day) whose tightest
/// reached threshold has not been noted gets its event. Answers how many events it produced.
pub async fn scan(db: &DatabaseConnection, now: i64) -> ServiceResult<u64> {
    let keys = api_keys::Entity::find()
        .filter(api_keys::Column::DisabledAt.is_null())
        .filter(api_keys::Column::ExpiresAt.gt(now - EXPIRED_LOOKBACK_MS))
        .filter(api_keys::Column::ExpiresAt.lte(now + 7 * DAY_MS))
        .all(db)
        .await?;
    if keys.is_empty() {
        return Ok(0);
    }
    let mut noted = Vec::new();
    for chunk in keys.chunks(500) {
        noted.extend(
            key_expiry_notices::Entity::find()
                .filter(
                    key_expiry_notices::Column::KeyId.is_in(chunk.iter().map(|k| k.id.as_str())),
                )
                .all(db)
                .await?,
        );
    }
    let mut produced = 0;
    for key in &keys {
        let Some(expires_at) = key.expires_at else {
            continue;
        };
        let thresholds = reached(expires_at, now);
        let Some((tightest, event)) = thresholds.first().copied() else {
            continue;
        };
        if noted
            .iter()
            .any(|n| n.key_id == key.id && n.threshold == tightest && n.expires_at == expires_at)
        {
            continue;
        }
        let txn = db::begin_write(db).await?;
        let mut first = false;
        for (i, (threshold, _)) in thresholds.iter().enumerate() {
            let inserted = note(&txn, &key.id, threshold, expires_at, now).await?;
            if i == 0 {
                first = inserted;
            }
        }
        if first {
            outbox::enqueue(&txn, now, event, &[key]).await?;
            produced += 1;
        }
        txn.commit().await?;
    }
    Ok(produced)
}

/// Notes a threshold as passed; false when a notice was already there (another replica's).
async fn note<C: ConnectionTrait>(
    conn: &C,
    key_id: &str,
    threshold: &str,
    expires_at: i64,
    now: i64,
) -> ServiceResult<bool> {
    let inserted = key_expiry_notices::Entity::insert(key_expiry_notices::ActiveModel {
        key_id: Set(key_id.to_owned()),
        threshold: Set(threshold.to_owned()),
        expires_at: Set(expires_at),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            key_expiry_notices::Column::KeyId,
            key_expiry_notices::Column::Threshold,
            key_expiry_notices::Column::ExpiresAt,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tightest_reached_threshold_comes_first() {
        let now = 1_000 * DAY_MS;
        let names = |at| {
            reached(at, now)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(now + 8 * DAY_MS), Vec::<&str>::new());
        assert_eq!(names(now + 7 * DAY_MS), vec!["7d"]);
        assert_eq!(names(now + 3 * DAY_MS), vec!["7d"]);
        assert_eq!(names(now + DAY_MS / 2), vec!["1d", "7d"]);
        assert_eq!(names(now), vec!["expired", "1d", "7d"]);
    }
}

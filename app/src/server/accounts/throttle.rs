//! Login throttling, stored in the database so every replica sees the same counts.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::server::{entities::login_attempts, error::ServiceResult};

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MAX_FAILURES: u64 = 5;

/// Seconds until the next attempt may be made, when this email or IP has used up its failures.
pub async fn retry_after<C: ConnectionTrait>(
    conn: &C,
    email_lower: &str,
    ip: &str,
    now_ms: i64,
) -> ServiceResult<Option<u64>> {
    let since = now_ms - WINDOW_MS;
    let mut wait = None;
    for subject in [
        login_attempts::Column::EmailLower.eq(email_lower),
        login_attempts::Column::Ip.eq(ip),
    ] {
        let recent = login_attempts::Entity::find()
            .filter(
                Condition::all()
                    .add(subject)
                    .add(login_attempts::Column::Succeeded.eq(false))
                    .add(login_attempts::Column::At.gt(since)),
            )
            .order_by_desc(login_attempts::Column::At);
        if recent.clone().count(conn).await? < MAX_FAILURES {
            continue;
        }
        // The window reopens when the MAX_FAILURES-th most recent failure leaves it.
        let failures = recent.all(conn).await?;
        if let Some(oldest) = failures.get(MAX_FAILURES as usize - 1) {
            let ms = oldest.at + WINDOW_MS - now_ms;
            let secs = (ms.max(0) as u64).div_ceil(1000).max(1);
            wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
        }
    }
    Ok(wait)
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    email_lower: &str,
    ip: &str,
    succeeded: bool,
    now_ms: i64,
) -> ServiceResult<()> {
    login_attempts::ActiveModel {
        at: Set(now_ms),
        email_lower: Set(email_lower.to_owned()),
        ip: Set(ip.to_owned()),
        succeeded: Set(succeeded),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if !succeeded {
        // Old attempts are useless: drop those beyond a day as we go.
        login_attempts::Entity::delete_many()
            .filter(login_attempts::Column::At.lt(now_ms - 24 * 3600 * 1000))
            .exec(conn)
            .await?;
    }
    Ok(())
}

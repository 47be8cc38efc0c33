//! Login throttling, stored in the database so every replica sees the same counts.
//!
//! An attempt is *reserved* (recorded as a failure) before its password is checked, in one
//! serialized transaction with the count, so parallel guesses cannot all slip past the check;
//! a correct password then marks its reservation as a success.
//!
//! Counts are kept per (account, address) and per address, so a stranger's failures from
//! elsewhere never lock the owner out (OWASP ASVS 6.3.1). A per-account limit across addresses
//! exists too, far higher, and only for addresses that have failed for that account themselves.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use crate::api::error::ApiError;
use crate::server::{
    db,
    entities::login_attempts,
    error::{ServiceError, ServiceResult},
    ratelimit::address_group,
};

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures for one account from one address.
pub const MAX_PER_ACCOUNT_AND_ADDRESS: u64 = 5;
/// Failures from one address, whatever the accounts.
pub const MAX_PER_ADDRESS: u64 = 20;
/// Failures for one account from all addresses (distributed guessing), applied only to
/// addresses that have themselves failed for this account.
pub const MAX_PER_ACCOUNT: u64 = 100;
/// Attempts are kept this long, then dropped as new failures are written.
const KEEP_MS: i64 = 24 * 3600 * 1000;
/// Advisory-lock classes for login subjects: addresses and accounts apart, so no chosen email
/// can collide with an address's lock (and no other lock of ours collides with either).
const ADDRESS_LOCKS: i32 = 0x4c41;
const ACCOUNT_LOCKS: i32 = 0x4c45;

/// A reserved attempt: counted as a failure unless [`succeeded`] marks it.
#[derive(Debug, Clone, Copy)]
pub struct Reservation(i64);

/// Seconds until the window reopens when `limit` failures matching `subject` are in it.
async fn wait<C: ConnectionTrait>(
    conn: &C,
    subject: Condition,
    limit: u64,
    now_ms: i64,
) -> ServiceResult<Option<u64>> {
    // The window reopens when the limit-th most recent failure leaves it.
    let nth: Option<i64> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::At)
        .filter(subject)
        .filter(login_attempts::Column::Succeeded.eq(false))
        .filter(login_attempts::Column::At.gt(now_ms - WINDOW_MS))
        .order_by_desc(login_attempts::Column::At)
        .offset(limit - 1)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(nth.map(|at| {
        ((at + WINDOW_MS - now_ms).max(0) as u64)
            .div_ceil(1000)
            .max(1)
    }))
}

/// Counts and reserves one attempt atomically; `Err(RateLimited)` when a limit is used up.
/// `ip` is counted as its [`address_group`].
pub async fn reserve(
    conn: &DatabaseConnection,
    email_lower: &str,
    ip: &str,
    now_ms: i64,
) -> ServiceResult<Reservation> {
    let group = address_group(ip);
    let ip = group.as_str();
    // Refused attempts are refused by a read: a flood over the limit never queues for a write.
    if let Some(retry_after) = over_limit(conn, email_lower, ip, now_ms).await? {
        return Err(refused(retry_after));
    }
    let txn = db::begin_write(conn).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Attempts on the same address or account are counted one at a time across replicas;
        // others do not wait. Always address first, then account: no cycle.
        for (class, subject) in [(ADDRESS_LOCKS, ip), (ACCOUNT_LOCKS, email_lower)] {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                [class.into(), subject.into()],
            ))
            .await?;
        }
    }
    if let Some(retry_after) = over_limit(&txn, email_lower, ip, now_ms).await? {
        txn.rollback().await?;
        return Err(refused(retry_after));
    }
    let row = login_attempts::ActiveModel {
        at: Set(now_ms),
        email_lower: Set(email_lower.to_owned()),
        ip: Set(ip.to_owned()),
        succeeded: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Old attempts are useless: drop those beyond a day as we go.
    login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::At.lt(now_ms - KEEP_MS))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Reservation(row.id))
}

/// A refused attempt, counted for `ls_login_throttled_total`.
fn refused(retry_after: u64) -> ServiceError {
    crate::server::metrics::login_throttled();
    ServiceError::Api(ApiError::RateLimited { retry_after })
}

/// Seconds until `email_lower` from the address group `ip` may try again, when a limit is
/// used up.
async fn over_limit<C: ConnectionTrait>(
    conn: &C,
    email_lower: &str,
    ip: &str,
    now_ms: i64,
) -> ServiceResult<Option<u64>> {
    let account = || login_attempts::Column::EmailLower.eq(email_lower);
    let address = || login_attempts::Column::Ip.eq(ip);
    let pair = wait(
        conn,
        Condition::all().add(account()).add(address()),
        MAX_PER_ACCOUNT_AND_ADDRESS,
        now_ms,
    )
    .await?;
    let from_address = wait(
        conn,
        Condition::all().add(address()),
        MAX_PER_ADDRESS,
        now_ms,
    )
    .await?;
    let pair_failed = wait(
        conn,
        Condition::all().add(account()).add(address()),
        1,
        now_ms,
    )
    .await?
    .is_some();
    let across = if pair_failed {
        wait(
            conn,
            Condition::all().add(account()),
            MAX_PER_ACCOUNT,
            now_ms,
        )
        .await?
    } else {
        None
    };
    Ok([pair, from_address, across].into_iter().flatten().max())
}

/// Gives a reserved attempt back (it was never made: no hashing slot was free).
pub async fn release(conn: &DatabaseConnection, reservation: Reservation) -> ServiceResult<()> {
    let txn = db::begin_write(conn).await?;
    login_attempts::Entity::delete_by_id(reservation.0)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Marks a reserved attempt as a successful login (it no longer counts as a failure).
pub async fn succeeded<C: ConnectionTrait>(
    conn: &C,
    reservation: Reservation,
) -> ServiceResult<()> {
    login_attempts::ActiveModel {
        id: Set(reservation.0),
        succeeded: Set(true),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

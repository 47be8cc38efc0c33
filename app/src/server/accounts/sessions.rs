//! Login sessions: random cookie tokens, stored only as SHA-256 hashes, with idle and absolute
//! lifetimes, so any replica can serve any session.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, TryRngCore};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::server::{
    db,
    entities::{sessions, users},
    error::ServiceResult,
    vault::format::hex,
};

pub const COOKIE: &str = "ls_session";
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// last_seen_at is refreshed at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A session token as the cookie carries it. Its `Debug` never prints it.
pub struct SessionToken(String);

impl SessionToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
    now_ms: i64,
) -> ServiceResult<SessionToken> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random number generator failed");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    sessions::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now_ms),
        last_seen_at: Set(now_ms),
        ip: Set(ip.map(str::to_owned)),
        user_agent: Set(user_agent.map(str::to_owned)),
        // Every session starts from a password just entered.
        reauthenticated_at: Set(Some(now_ms)),
    }
    .insert(conn)
    .await?;
    Ok(SessionToken(token))
}

/// The live session for `token` and its user, or `None` (expired sessions are deleted).
pub async fn resolve(
    conn: &DatabaseConnection,
    token: &str,
    now_ms: i64,
) -> ServiceResult<Option<(sessions::Model, users::Model)>> {
    if token.len() != 43 {
        return Ok(None);
    }
    let found = sessions::Entity::find_by_id(hash_token(token))
        .one(conn)
        .await?;
    let Some(session) = found else {
        return Ok(None);
    };
    let user = users::Entity::find_by_id(session.user_id.clone())
        .one(conn)
        .await?;
    let expired =
        now_ms - session.created_at > ABSOLUTE_MS || now_ms - session.last_seen_at > IDLE_MS;
    match user {
        Some(user) if !expired && user.disabled_at.is_none() => {
            // The touch is a write an admin's read does not wait for: while other writes
            // have the turn it is left to a later request (the idle limit is hours away).
            let touch = if now_ms - session.last_seen_at > TOUCH_EVERY_MS {
                db::begin_write_if_free(conn).await?
            } else {
                None
            };
            let session = match touch {
                Some(txn) => {
                    let mut active = session.into_active_model();
                    active.last_seen_at = Set(now_ms);
                    let touched = active.update(&txn).await?;
                    txn.commit().await?;
                    touched
                }
                None => session,
            };
            Ok(Some((session, user)))
        }
        _ => {
            // Refused either way; the row goes now, or on a later request when writes are busy.
            if let Some(txn) = db::begin_write_if_free(conn).await? {
                sessions::Entity::delete_by_id(session.token_hash)
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
            }
            Ok(None)
        }
    }
}

pub async fn delete<C: ConnectionTrait>(conn: &C, token_hash: &str) -> ServiceResult<()> {
    sessions::Entity::delete_by_id(token_hash)
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn delete_for_user<C: ConnectionTrait>(conn: &C, user_id: &str) -> ServiceResult<u64> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(token: &SessionToken, secure: bool) -> String {
    format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        token.expose(),
        ABSOLUTE_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token from a `Cookie` header, if any.
pub fn token_from_cookies(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

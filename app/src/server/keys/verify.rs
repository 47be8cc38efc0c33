//! Verification: parse + checksum, SHA-256, cache, then one indexed lookup.

use std::sync::Arc;

use sea_orm::{DbBackend, EntityTrait, Statement};
use subtle::ConstantTimeEq;

use crate::api::error::KeyRejection;
use crate::server::{
    error::ServiceResult,
    vault::{format, hash_secret},
};

use super::{cache::KeySnapshot, KeyService};
use crate::server::entities::api_keys;
use crate::server::entities::api_keys::scopes_from_column;
use crate::server::metrics;

/// A usable key's snapshot, or why the presented key is refused.
pub type Outcome = Result<Arc<KeySnapshot>, KeyRejection>;

pub fn judge(snapshot: Arc<KeySnapshot>, now_ms: i64) -> Outcome {
    let key_expired = snapshot.expires_at.is_some_and(|at| at <= now_ms);
    // A rolled key's previous secret lives only until its grace ends.
    let grace_over =
        snapshot.previous_secret && snapshot.grace_ends_at.is_none_or(|at| at <= now_ms);
    if snapshot.disabled {
        Err(KeyRejection::Disabled)
    } else if key_expired || grace_over {
        Err(KeyRejection::Expired)
    } else {
        Ok(snapshot)
    }
}

/// The lookup of [`KeyService::by_secret_hash`], its one bound value the hash.
pub fn by_secret_hash_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "SELECT * FROM api_keys WHERE secret_hash = $1 OR previous_secret_hash = $1"
        }
        _ => "SELECT * FROM api_keys WHERE secret_hash = ?1 OR previous_secret_hash = ?1",
    }
}

impl KeyService {
    /// The key whose current or previous secret has the lookup hash `hash` (one indexed read;
    /// whether a previous secret still works is for the caller to judge).
    ///
    /// A fixed statement, not a built one: every cache miss runs it, and building it with the
    /// query builder and `.one()` cost more than the read. (`.one()` adds `LIMIT ?`, and SQLite
    /// prepares a statement whose LIMIT is a bound value again on every run: its planner reads
    /// the value.) The hashes are unique, so the read finds one row at most.
    pub async fn by_secret_hash(&self, hash: &str) -> ServiceResult<Option<api_keys::Model>> {
        let backend = self.db().get_database_backend();
        Ok(api_keys::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                by_secret_hash_sql(backend),
                [hash.into()],
            ))
            .one(self.db())
            .await?)
    }

    /// Decides whether `presented` is a usable key. Does not record a use.
    pub async fn verify(&self, presented: &str) -> ServiceResult<Outcome> {
        let outcome = self.decide(presented).await?;
        metrics::verification(outcome.as_ref().err().copied());
        Ok(outcome)
    }

    async fn decide(&self, presented: &str) -> ServiceResult<Outcome> {
        let Ok(secret) = format::parse(presented) else {
            return Ok(Err(KeyRejection::Malformed));
        };
        let hash = hash_secret(&secret);
        let now = self.now_ms();
        let cached = self.cache.get(&hash, now);
        metrics::cache_lookup(cached.is_some());
        if let Some(snapshot) = cached {
            return Ok(judge(snapshot, now));
        }
        let epoch = self.cache.epoch();
        let Some(row) = self.by_secret_hash(&hash).await? else {
            return Ok(Err(KeyRejection::NotFound));
        };
        let current = bool::from(row.secret_hash.as_bytes().ct_eq(hash.as_bytes()));
        let previous = !current
            && row
                .previous_secret_hash
                .as_deref()
                .is_some_and(|h| bool::from(h.as_bytes().ct_eq(hash.as_bytes())));
        if !current && !previous {
            return Ok(Err(KeyRejection::NotFound));
        }
        let snapshot = Arc::new(KeySnapshot {
            key_id: row.id,
            name: row.name,
            project: row.project,
            scopes: scopes_from_column(&row.scopes),
            expires_at: row.expires_at,
            disabled: row.disabled_at.is_some(),
            rate_limit_per_minute: row.rate_limit_per_minute.map(|n| n as u32),
            allowed_cidrs: super::allowlist::from_column(&row.allowed_cidrs),
            grace_ends_at: if previous {
                row.previous_secret_expires_at
            } else {
                None
            },
            previous_secret: previous,
            secret_hash: hash.clone(),
        });
        self.cache.insert(hash, snapshot.clone(), epoch, now);
        Ok(judge(snapshot, now))
    }
}

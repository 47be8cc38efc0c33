//! The key service: every operation on API keys, each mutation audited in its transaction.

pub mod allowlist;
pub mod bounds;
pub mod cache;
pub mod leaks;
pub mod list;
pub mod locking;
pub mod policy;
pub mod revocation;
pub mod rewrap;
pub mod usage;
pub mod vault_record;
pub mod verify;

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::api::{
    error::ApiError,
    types::{AuditAction, KeyPatch, NewKey, MAX_BULK_DELETE, MAX_GRACE_SECONDS},
    validate,
    webhooks::types::WebhookEvent,
};
use crate::server::{
    audit::{self, Actor, Event},
    clock::{from_ms, to_ms, SharedClock},
    db,
    entities::{
        api_keys::{self, scopes_to_column},
        audit_events, key_usage_daily,
    },
    error::{ServiceError, ServiceResult},
    vault::{format, hash_secret, Keyring, Secret},
    webhooks::outbox,
};

use self::{
    bounds::KeyLimits,
    cache::KeyCache,
    locking::{lineage, Locked},
    usage::UsageBuffer,
};

pub struct KeyService {
    db: DatabaseConnection,
    keyring: Arc<Keyring>,
    clock: SharedClock,
    cache: Arc<KeyCache>,
    usage: Arc<UsageBuffer>,
    /// Wakes this replica's webhook worker when a change queued events.
    outbox_wake: Arc<tokio::sync::Notify>,
}

const KEY: &str = "API key";

/// How many keys deep a line of keys creating keys may go.
pub const MAX_KEY_DEPTH: usize = 16;

fn search_text(name_lower: &str, creator_label: &str) -> String {
    format!("{name_lower}\n{}", creator_label.to_lowercase())
}

impl KeyService {
    pub fn new(
        db: DatabaseConnection,
        keyring: Arc<Keyring>,
        clock: SharedClock,
        cache: Arc<KeyCache>,
        usage: Arc<UsageBuffer>,
        outbox_wake: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            db,
            keyring,
            clock,
            cache,
            usage,
            outbox_wake,
        }
    }

    /// Writes the webhook event of an audited change to `keys` in its transaction.
    async fn queue_events(
        txn: &DatabaseTransaction,
        now: i64,
        action: AuditAction,
        keys: &[&api_keys::Model],
    ) -> ServiceResult<u64> {
        match WebhookEvent::for_audit(action) {
            Some(event) => outbox::enqueue(txn, now, event, keys).await,
            None => Ok(0),
        }
    }

    /// After the commit: deliveries queued by it are due now.
    fn events_committed(&self, queued: u64) {
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
    }

    pub fn cache(&self) -> &Arc<KeyCache> {
        &self.cache
    }

    pub fn usage_buffer(&self) -> &Arc<UsageBuffer> {
        &self.usage
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Creates a key; the full secret is returned here and never again (unless revealed).
    pub async fn create(
        &self,
        actor: &Actor,
        input: NewKey,
    ) -> ServiceResult<(api_keys::Model, Secret)> {
        let now = self.clock.now_ms();
        let name = validate::name("name", &input.name)?;
        let project = validate::project("project", input.project.as_deref())?;
        let expires_at = validate::expiry("expires_at", input.expires_at, from_ms(now))?;
        let scopes = validate::scopes("scopes", &input.scopes)?;
        let rate_limit =
            validate::rate_limit("rate_limit_per_minute", input.rate_limit_per_minute)?
                .map(|n| n as i32);
        let allowed = allowlist::parse("allowed_cidrs", &input.allowed_cidrs)?;

        let txn = db::begin_write(&self.db).await?;
        let Locked {
            bounds, actor_row, ..
        } = locking::lock(&txn, &[], false, actor, now).await?;
        if let Some(bounds) = &bounds {
            bounds.may_grant(&scopes)?;
            bounds.may_set_expiry("expires_at", expires_at.map(to_ms))?;
            bounds.may_set_rate_limit("rate_limit_per_minute", input.rate_limit_per_minute)?;
            bounds.may_set_allowlist("allowed_cidrs", &allowed)?;
        }
        let expires_ms =
            policy::load(&txn)
                .await?
                .for_new_key("expires_at", now, expires_at.map(to_ms))?;
        // A key's children record their whole line of creators, for cascades; lines are kept
        // short so no key can grow them (and every read of them) without bound.
        if actor_row
            .as_ref()
            .is_some_and(|parent| parent.ancestors.split_whitespace().count() + 1 >= MAX_KEY_DEPTH)
        {
            return Err(ApiError::Forbidden(format!(
                "Keys created by keys may nest at most {MAX_KEY_DEPTH} deep."
            ))
            .into());
        }
        let ancestors = actor_row
            .map(|parent| {
                format!("{} {}", parent.ancestors, parent.id)
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();

        let id = uuid::Uuid::now_v7().to_string();
        let secret = format::generate();
        let sealed = input.recoverable.then(|| self.keyring.seal(&id, &secret));
        let creator = actor.creator_label();
        let name_lower = name.to_lowercase();
        let model = api_keys::ActiveModel {
            id: Set(id.clone()),
            search_text: Set(search_text(&name_lower, &creator)),
            name_lower: Set(name_lower),
            name: Set(name),
            project: Set(project),
            start: Set(secret.start().to_owned()),
            last4: Set(secret.last4().to_owned()),
            secret_hash: Set(hash_secret(&secret)),
            secret_ciphertext: Set(sealed.as_ref().map(|s| s.ciphertext.clone())),
            secret_nonce: Set(sealed.as_ref().map(|s| s.nonce.clone())),
            master_key_id: Set(sealed.as_ref().map(|s| s.master_key_id.clone())),
            recoverable: Set(input.recoverable),
            scopes: Set(scopes_to_column(&scopes)),
            created_at: Set(now),
            created_by_kind: Set(actor.kind),
            created_by_id: Set(actor.id.clone()),
            created_by_label: Set(creator),
            updated_at: Set(now),
            expires_at: Set(expires_ms),
            disabled_at: Set(None),
            rolled_at: Set(None),
            previous_secret_hash: Set(None),
            previous_secret_expires_at: Set(None),
            rate_limit_per_minute: Set(rate_limit),
            last_used_at: Set(None),
            last_used_ip: Set(None),
            last_used_user_agent: Set(None),
            usage_count: Set(0),
            ancestors: Set(ancestors),
            allowed_cidrs: Set(allowlist::to_column(&allowed)),
            leaked_at: Set(None),
            leaked_url: Set(None),
        };
        let model = model.insert(&txn).await?;
        audit::record(
            &txn,
            now,
            actor,
            Event {
                action: AuditAction::KeyCreated,
                key: Some((&model.id, &model.name)),
                detail: json!({
                    "scopes": scopes,
                    "recoverable": model.recoverable,
                    "project": model.project,
                    "expires_at": expires_ms.map(from_ms),
                    "allowed_cidrs": model.allowed_cidrs,
                }),
            },
        )
        .await?;
        let queued = Self::queue_events(&txn, now, AuditAction::KeyCreated, &[&model]).await?;
        txn.commit().await?;
        self.events_committed(queued);
        Ok((model, secret))
    }

    pub async fn get(&self, id: &str) -> ServiceResult<api_keys::Model> {
        api_keys::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ServiceError::not_found(KEY))
    }

    /// Decrypts the stored secret (audited). Only human admins get here.
    pub async fn reveal(&self, actor: &Actor, id: &str) -> ServiceResult<Secret> {
        let model = self.get(id).await?;
        let (Some(ciphertext), Some(nonce), Some(master_key_id)) = (
            model.secret_ciphertext.as_deref(),
            model.secret_nonce.as_deref(),
            model.master_key_id.as_deref(),
        ) else {
            return Err(ApiError::NotRecoverable.into());
        };
        let secret = self
            .keyring
            .open(&model.id, ciphertext, nonce, master_key_id)?;
        let txn = db::begin_write(&self.db).await?;
        audit::record(
            &txn,
            self.clock.now_ms(),
            actor,
            Event {
                action: AuditAction::KeyRevealed,
                key: Some((&model.id, &model.name)),
                detail: json!({}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(secret)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        patch: KeyPatch,
    ) -> ServiceResult<api_keys::Model> {
        let now = self.clock.now_ms();
        let name = patch
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let project = patch
            .project
            .as_ref()
            .map(|p| validate::project("project", p.as_deref()))
            .transpose()?;
        let expires_at = patch
            .expires_at
            .map(|e| validate::expiry("expires_at", e, from_ms(now)))
            .transpose()?;
        let scopes = patch
            .scopes
            .as_deref()
            .map(|s| validate::scopes("scopes", s))
            .transpose()?;
        let limit = patch
            .rate_limit_per_minute
            .map(|l| validate::rate_limit("rate_limit_per_minute", l).map(|l| l.map(|n| n as i32)))
            .transpose()?;
        let allowed = patch
            .allowed_cidrs
            .as_deref()
            .map(|list| allowlist::parse("allowed_cidrs", list))
            .transpose()?;

        let txn = db::begin_write(&self.db).await?;
        let (model, bounds) = Self::lock_one(&txn, id, actor, now).await?;
        if let Some(bounds) = &bounds {
            bounds.may_act_on(&KeyLimits::of(&model))?;
            if let Some(scopes) = &scopes {
                bounds.may_grant(scopes)?;
            }
            if let Some(expires_at) = expires_at {
                bounds.may_set_expiry("expires_at", expires_at.map(to_ms))?;
            }
            if let Some(limit) = patch.rate_limit_per_minute {
                bounds.may_set_rate_limit("rate_limit_per_minute", limit)?;
            }
            if let Some(allowed) = &allowed {
                bounds.may_set_allowlist("allowed_cidrs", allowed)?;
            }
        }
        if let Some(expires_at) = expires_at {
            policy::load(&txn)
                .await?
                .check("expires_at", now, expires_at.map(to_ms))?;
        }
        let mut changed = serde_json::Map::new();
        let mut active = model.clone().into_active_model();
        if let Some(name) = name.filter(|n| *n != model.name) {
            changed.insert("name".into(), json!({"from": model.name, "to": name}));
            let lower = name.to_lowercase();
            active.search_text = Set(search_text(&lower, &model.created_by_label));
            active.name_lower = Set(lower);
            active.name = Set(name);
        }
        if let Some(project) = project.filter(|p| *p != model.project) {
            changed.insert(
                "project".into(),
                json!({"from": model.project, "to": project}),
            );
            active.project = Set(project);
        }
        if let Some(expires) = expires_at
            .map(|e| e.map(to_ms))
            .filter(|e| *e != model.expires_at)
        {
            changed.insert(
                "expires_at".into(),
                json!({"from": model.expires_at.map(from_ms), "to": expires.map(from_ms)}),
            );
            active.expires_at = Set(expires);
        }
        if let Some(scopes) = scopes
            .map(|s| scopes_to_column(&s))
            .filter(|s| *s != model.scopes)
        {
            changed.insert("scopes".into(), json!({"from": model.scopes, "to": scopes}));
            active.scopes = Set(scopes);
        }
        if let Some(limit) = limit.filter(|l| *l != model.rate_limit_per_minute) {
            changed.insert(
                "rate_limit_per_minute".into(),
                json!({"from": model.rate_limit_per_minute, "to": limit}),
            );
            active.rate_limit_per_minute = Set(limit);
        }
        if let Some(allowed) = allowed
            .map(|a| allowlist::to_column(&a))
            .filter(|a| *a != model.allowed_cidrs)
        {
            changed.insert(
                "allowed_cidrs".into(),
                json!({"from": model.allowed_cidrs, "to": allowed}),
            );
            active.allowed_cidrs = Set(allowed);
        }
        if changed.is_empty() {
            txn.rollback().await?;
            return Ok(model);
        }
        active.updated_at = Set(now);
        let updated = active.update(&txn).await?;
        self.commit_change(
            txn,
            now,
            actor,
            &updated,
            Event {
                action: AuditAction::KeyUpdated,
                key: Some((&updated.id, &updated.name)),
                detail: serde_json::Value::Object(changed),
            },
        )
        .await?;
        Ok(updated)
    }

    /// Deletes one key and, with `cascade`, every key it created (transitively).
    pub async fn delete(&self, actor: &Actor, id: &str, cascade: bool) -> ServiceResult<u64> {
        self.bulk_delete(actor, &[id.to_owned()], cascade).await
    }

    /// Deletes all of `ids` (and with `cascade` the keys they created) or, if any is unknown
    /// or outside the actor's rights, none of them. Answers how many keys were deleted.
    pub async fn bulk_delete(
        &self,
        actor: &Actor,
        ids: &[String],
        cascade: bool,
    ) -> ServiceResult<u64> {
        if ids.len() > MAX_BULK_DELETE {
            return Err(ServiceError::validation(
                "ids",
                format!("At most {MAX_BULK_DELETE} API keys can be deleted at once."),
            ));
        }
        let mut unique: Vec<&str> = ids.iter().map(String::as_str).collect();
        unique.sort_unstable();
        unique.dedup();
        if unique.is_empty() {
            return Err(ServiceError::validation(
                "ids",
                "Select at least one API key.",
            ));
        }
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let Locked {
            targets, bounds, ..
        } = locking::lock(&txn, &unique, cascade, actor, now).await?;
        let missing: Vec<&str> = unique
            .iter()
            .copied()
            .filter(|id| !targets.iter().any(|m| m.id == *id))
            .collect();
        if !missing.is_empty() {
            txn.rollback().await?;
            let what = if missing.len() == 1 {
                format!("API key {}", missing[0])
            } else {
                format!("API keys {}", missing.join(", "))
            };
            return Err(ServiceError::Api(ApiError::not_found(&what)));
        }
        Self::may_act_on_all(bounds.as_ref(), &targets)?;
        let target_ids: Vec<&str> = targets.iter().map(|m| m.id.as_str()).collect();
        let mut deleted = 0;
        for chunk in target_ids.chunks(500) {
            deleted += api_keys::Entity::delete_many()
                .filter(api_keys::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        let action = if unique.len() == 1 {
            AuditAction::KeyDeleted
        } else {
            AuditAction::KeyBulkDeleted
        };
        for (model, cascade_from) in targets.iter().zip(lineage(&targets, &unique)) {
            audit::record(
                &txn,
                now,
                actor,
                Event {
                    action,
                    key: Some((&model.id, &model.name)),
                    detail: json!({"batch_size": unique.len(), "cascade_from": cascade_from}),
                },
            )
            .await?;
            revocation::announce(&txn, &model.id).await?;
        }
        let queued =
            Self::queue_events(&txn, now, action, &targets.iter().collect::<Vec<_>>()).await?;
        txn.commit().await?;
        for model in &targets {
            self.cache.invalidate(&model.id);
        }
        self.events_committed(queued);
        Ok(deleted)
    }

    /// Locks one key (and the acting key): 404 if it is gone.
    async fn lock_one(
        txn: &DatabaseTransaction,
        id: &str,
        actor: &Actor,
        now: i64,
    ) -> ServiceResult<(api_keys::Model, Option<bounds::KeyBounds>)> {
        let Locked {
            targets, bounds, ..
        } = locking::lock(txn, &[id], false, actor, now).await?;
        let model = targets
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::not_found(KEY))?;
        Ok((model, bounds))
    }

    fn may_act_on_all(
        bounds: Option<&bounds::KeyBounds>,
        targets: &[api_keys::Model],
    ) -> ServiceResult<()> {
        if let Some(bounds) = bounds {
            for model in targets {
                bounds.may_act_on(&KeyLimits::of(model))?;
            }
        }
        Ok(())
    }

    /// Disables or enables a key and, with `cascade`, every key it created (transitively).
    /// Answers the key itself as it now is.
    pub async fn set_disabled(
        &self,
        actor: &Actor,
        id: &str,
        disabled: bool,
        cascade: bool,
    ) -> ServiceResult<api_keys::Model> {
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let Locked {
            targets, bounds, ..
        } = locking::lock(&txn, &[id], cascade, actor, now).await?;
        let Some(mut root) = targets.iter().find(|m| m.id == id).cloned() else {
            txn.rollback().await?;
            return Err(ServiceError::not_found(KEY));
        };
        Self::may_act_on_all(bounds.as_ref(), &targets)?;
        // A key whose secret was found in public stays off until it has a new secret.
        if !disabled {
            if let Some(leaked) = targets.iter().find(|m| m.leaked_at.is_some()) {
                return Err(ApiError::Forbidden(format!(
                    "The secret of “{}” was reported leaked: regenerate it before enabling it.",
                    leaked.name
                ))
                .into());
            }
        }
        let changing: Vec<(&api_keys::Model, Option<&str>)> = targets
            .iter()
            .zip(lineage(&targets, &[id]))
            .filter(|(m, _)| m.disabled_at.is_some() != disabled)
            .collect();
        if changing.is_empty() {
            txn.rollback().await?;
            return Ok(root);
        }
        let action = if disabled {
            AuditAction::KeyDisabled
        } else {
            AuditAction::KeyEnabled
        };
        let mut changed = Vec::with_capacity(changing.len());
        for (model, cascade_from) in &changing {
            let mut active = (*model).clone().into_active_model();
            active.disabled_at = Set(disabled.then_some(now));
            active.updated_at = Set(now);
            let updated = active.update(&txn).await?;
            audit::record(
                &txn,
                now,
                actor,
                Event {
                    action,
                    key: Some((&updated.id, &updated.name)),
                    detail: json!({"cascade_from": cascade_from}),
                },
            )
            .await?;
            revocation::announce(&txn, &updated.id).await?;
            if updated.id == root.id {
                root = updated.clone();
            }
            changed.push(updated);
        }
        let queued =
            Self::queue_events(&txn, now, action, &changed.iter().collect::<Vec<_>>()).await?;
        txn.commit().await?;
        for (model, _) in &changing {
            self.cache.invalidate(&model.id);
        }
        self.events_committed(queued);
        Ok(root)
    }

    /// Gives the key a new secret; the old one keeps working for `grace_seconds`.
    pub async fn roll(
        &self,
        actor: &Actor,
        id: &str,
        grace_seconds: u64,
    ) -> ServiceResult<(api_keys::Model, Secret)> {
        if grace_seconds > MAX_GRACE_SECONDS {
            return Err(ServiceError::validation(
                "grace_seconds",
                format!("Grace must be at most {MAX_GRACE_SECONDS} seconds (7 days)."),
            ));
        }
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let (model, bounds) = Self::lock_one(&txn, id, actor, now).await?;
        if let Some(bounds) = &bounds {
            bounds.may_act_on(&KeyLimits::of(&model))?;
        }
        // A secret found in public gets no grace: it stops now, and the key is no longer marked.
        let grace_seconds = if model.leaked_at.is_some() {
            0
        } else {
            grace_seconds
        };
        let grace_ends = (grace_seconds > 0).then(|| now + grace_seconds as i64 * 1000);
        let mut active = model.clone().into_active_model();
        active.previous_secret_hash = Set(grace_ends.map(|_| model.secret_hash.clone()));
        active.previous_secret_expires_at = Set(grace_ends);
        active.leaked_at = Set(None);
        active.leaked_url = Set(None);
        let (secret, expires_at) = self.new_secret(&txn, &model, &mut active, now).await?;
        let updated = active.update(&txn).await?;
        self.commit_change(
            txn,
            now,
            actor,
            &updated,
            Event {
                action: AuditAction::KeyRolled,
                key: Some((&updated.id, &updated.name)),
                detail: json!({
                    "grace_seconds": grace_seconds,
                    "previous_secret_expires_at": grace_ends.map(from_ms),
                    "expires_at": (expires_at != model.expires_at)
                        .then(|| json!({"from": model.expires_at.map(from_ms), "to": expires_at.map(from_ms)})),
                }),
            },
        )
        .await?;
        Ok((updated, secret))
    }

    /// Gives `model` a new secret in `active` (sealed if the key is recoverable), rolled now,
    /// with an expiry brought within the key policy. The previous secret's grace is the
    /// caller's to set.
    async fn new_secret(
        &self,
        txn: &DatabaseTransaction,
        model: &api_keys::Model,
        active: &mut api_keys::ActiveModel,
        now: i64,
    ) -> ServiceResult<(Secret, Option<i64>)> {
        let secret = format::generate();
        let sealed = model
            .recoverable
            .then(|| self.keyring.seal(&model.id, &secret));
        active.secret_hash = Set(hash_secret(&secret));
        active.start = Set(secret.start().to_owned());
        active.last4 = Set(secret.last4().to_owned());
        active.secret_ciphertext = Set(sealed.as_ref().map(|s| s.ciphertext.clone()));
        active.secret_nonce = Set(sealed.as_ref().map(|s| s.nonce.clone()));
        active.master_key_id = Set(sealed.as_ref().map(|s| s.master_key_id.clone()));
        active.rolled_at = Set(Some(now));
        active.updated_at = Set(now);
        // A new secret lives no longer than the policy allows from now.
        let expires_at = policy::load(txn).await?.on_roll(now, model.expires_at);
        active.expires_at = Set(expires_at);
        Ok((secret, expires_at))
    }

    /// Changes the key policy (validated, audited).
    pub async fn set_policy(
        &self,
        actor: &Actor,
        patch: &crate::api::types::KeyPolicyPatch,
    ) -> ServiceResult<crate::api::types::KeyPolicy> {
        db::serializably(|| async {
            let txn = db::begin_serializable(&self.db).await?;
            let wanted = policy::load(&txn).await?.to_wire().patched(patch);
            let stored = policy::store(&txn, self.clock.now_ms(), actor, &wanted).await?;
            txn.commit().await?;
            Ok(stored.to_wire())
        })
        .await
    }

    /// The tail of every single-key mutation: its audit event and webhook event, the
    /// announcement to other replicas, the commit, and dropping the key from this replica's
    /// cache.
    async fn commit_change(
        &self,
        txn: db::WriteTxn,
        now: i64,
        actor: &Actor,
        key: &api_keys::Model,
        event: Event<'_>,
    ) -> ServiceResult<()> {
        let action = event.action;
        audit::record(&txn, now, actor, event).await?;
        let queued = Self::queue_events(&txn, now, action, &[key]).await?;
        revocation::announce(&txn, &key.id).await?;
        txn.commit().await?;
        self.cache.invalidate(&key.id);
        self.events_committed(queued);
        Ok(())
    }

    /// How many keys this key created, directly or through keys it created: what a cascading
    /// disable or delete reaches.
    /// (Keys whose direct creator was deleted are counted only through the cascade itself.)
    pub async fn descendant_count(&self, id: &str) -> ServiceResult<u64> {
        // The common case, a key that created nothing, costs one indexed look-up.
        let has_children = api_keys::Entity::find()
            .select_only()
            .column(api_keys::Column::Id)
            .filter(api_keys::Column::CreatedById.eq(id))
            .into_tuple::<String>()
            .one(&self.db)
            .await?
            .is_some();
        if !has_children {
            return Ok(0);
        }
        Ok(locking::descendant_ids(&self.db, &[id]).await?.len() as u64)
    }

    /// Requests per day for the last `days` days (UTC), oldest first, zero-filled.
    pub async fn usage(&self, id: &str, days: u32) -> ServiceResult<Vec<(chrono::NaiveDate, u64)>> {
        self.get(id).await?;
        let today = from_ms(self.clock.now_ms()).date_naive();
        let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
        let rows = key_usage_daily::Entity::find()
            .filter(key_usage_daily::Column::KeyId.eq(id))
            .filter(key_usage_daily::Column::Day.gte(first.format("%Y-%m-%d").to_string()))
            .all(&self.db)
            .await?;
        Ok(first
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| {
                let key = d.format("%Y-%m-%d").to_string();
                let count = rows.iter().find(|r| r.day == key).map_or(0, |r| r.count);
                (d, count.max(0) as u64)
            })
            .collect())
    }

    /// This key's audit events, newest first.
    pub async fn history(&self, id: &str, limit: u64) -> ServiceResult<Vec<audit_events::Model>> {
        Ok(audit_events::Entity::find()
            .filter(audit_events::Column::KeyId.eq(id))
            .order_by_desc(audit_events::Column::At)
            .order_by_desc(audit_events::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Counts one authenticated use of a key (buffered; see [`usage`]).
    pub fn record_use(&self, key_id: &str, ip: Option<&str>, user_agent: Option<&str>) {
        self.usage
            .record(key_id, self.clock.now_ms(), ip, user_agent);
    }
}

//! Leaked keys: a secret found in public (reported by a secret-scanning partner, or by an admin)
//! stops working at once — disabled, or rolled with no grace as the key policy says — and the key
//! carries where it was found. Announced to every replica like any other change.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

use crate::api::types::{AuditAction, LeakResponse};
use crate::server::{
    audit::{Actor, Event},
    db,
    entities::api_keys,
    error::ServiceResult,
    vault::{format, hash_secret},
};

use super::{policy, KeyService};

/// The longest "found at" kept (a URL, or what the reporter said).
pub const MAX_LEAK_URL: usize = 2048;

/// Where a leak was found, as the reporter put it.
pub struct Sighting<'a> {
    pub url: Option<&'a str>,
    /// Who found it (`github`, `admin` …).
    pub source: &'a str,
}

impl KeyService {
    /// The id of the key whose current or previous secret hashes to `hash`, if any.
    pub async fn id_by_secret_hash(&self, hash: &str) -> ServiceResult<Option<String>> {
        Ok(api_keys::Entity::find()
            .select_only()
            .column(api_keys::Column::Id)
            .filter(
                Condition::any()
                    .add(api_keys::Column::SecretHash.eq(hash))
                    .add(api_keys::Column::PreviousSecretHash.eq(hash)),
            )
            .into_tuple::<String>()
            .one(self.db())
            .await?)
    }

    /// Reports the key `id` leaked: a live key is disabled, or rolled with no grace (the key
    /// policy's `leak_response`); the key records when and where; `key.leaked` is audited
    /// either way. Answers the key as it now is.
    pub async fn report_leak(
        &self,
        actor: &Actor,
        id: &str,
        sighting: Sighting<'_>,
    ) -> ServiceResult<api_keys::Model> {
        let now = self.now_ms();
        let url: Option<String> = sighting.url.map(|u| {
            u.chars()
                .filter(|c| !c.is_control())
                .take(MAX_LEAK_URL)
                .collect()
        });
        let txn = db::begin_write(self.db()).await?;
        let (model, _) = Self::lock_one(&txn, id, actor, now).await?;
        let live = model.disabled_at.is_none() && model.expires_at.is_none_or(|at| at > now);
        let response = policy::load(&txn).await?.leak_response();
        let mut active = model.clone().into_active_model();
        active.leaked_at = Set(Some(now));
        active.leaked_url = Set(url.clone());
        active.updated_at = Set(now);
        // Whatever else happens, a previous secret still in its grace stops now.
        active.previous_secret_hash = Set(None);
        active.previous_secret_expires_at = Set(None);
        let done = match (live, response) {
            (false, _) => "none (the key was not live)",
            (true, LeakResponse::Disable) => {
                active.disabled_at = Set(Some(now));
                "disabled"
            }
            (true, LeakResponse::Roll) => {
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
                "rolled"
            }
        };
        let updated = active.update(&txn).await?;
        self.commit_change(
            txn,
            now,
            actor,
            Event {
                action: AuditAction::KeyLeaked,
                key: Some((&updated.id, &updated.name)),
                detail: json!({"url": url, "source": sighting.source, "response": done}),
            },
        )
        .await?;
        Ok(updated)
    }
}

//! Leaked keys: a secret found in public (reported by a secret-scanning partner, or by an admin)
//! stops working at once — the key disabled, or given a new secret with no grace, as the key
//! policy says — and the key carries where it was found until it gets a new secret (it cannot
//! be enabled before). Announced to every replica like any other change.

use sea_orm::{IntoActiveModel, Set};
use serde_json::json;

use crate::api::types::{AuditAction, LeakResponse};
use crate::server::{
    audit::{Actor, Event},
    db,
    entities::api_keys,
    error::{ServiceError, ServiceResult},
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

/// Which of a key's secrets a found token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The key's secret.
    Current,
    /// The secret a roll replaced, still accepted during its grace.
    PreviousInGrace,
}

/// Text the reporter sent, kept printable and bounded.
pub fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl KeyService {
    /// Reports a secret of the key `id` leaked: `presented`, the lookup hash of the secret found
    /// (judged again under the key's lock: a roll in between may have retired it), or `None` for
    /// the key's current secret (an admin's report). A leaked previous secret only loses its
    /// grace. A leaked current secret stops at once: the key is disabled (even if it had expired,
    /// so a later expiry change cannot revive it), or — if the key policy says `roll`, the key is
    /// live and its secret can be revealed — given a new secret with no grace. A disabled key
    /// records when and where until it gets a new secret, and cannot be enabled before. A report
    /// repeating one already recorded changes nothing. Answers the key as it now is, or 404 when
    /// `presented` no longer opens it.
    pub async fn report_leak(
        &self,
        actor: &Actor,
        id: &str,
        presented: Option<&str>,
        sighting: Sighting<'_>,
    ) -> ServiceResult<api_keys::Model> {
        let now = self.now_ms();
        let url = sighting.url.map(|u| printable(u, MAX_LEAK_URL));
        let created_keys = self.descendant_count(id).await?;
        let txn = db::begin_write(self.db()).await?;
        let (model, _) = Self::lock_one(&txn, id, actor, now).await?;
        let found = match presented {
            None => Found::Current,
            Some(hash) if model.secret_hash == hash => Found::Current,
            Some(hash)
                if model.previous_secret_hash.as_deref() == Some(hash)
                    && model.previous_secret_expires_at.is_some_and(|at| at > now) =>
            {
                Found::PreviousInGrace
            }
            Some(_) => {
                txn.rollback().await?;
                return Err(ServiceError::not_found("API key"));
            }
        };
        let live = model.disabled_at.is_none() && model.expires_at.is_none_or(|at| at > now);
        let repeated = found == Found::Current
            && model.disabled_at.is_some()
            && model.leaked_at.is_some()
            && model.leaked_url == url;
        if repeated {
            txn.rollback().await?;
            return Ok(model);
        }
        let mut active = model.clone().into_active_model();
        active.updated_at = Set(now);
        // Whatever leaked, no previous secret keeps working.
        active.previous_secret_hash = Set(None);
        active.previous_secret_expires_at = Set(None);
        let response = policy::load(&txn).await?.leak_response();
        let done = match (found, live, response) {
            (Found::PreviousInGrace, _, _) => "grace ended",
            (Found::Current, true, LeakResponse::Roll) if model.recoverable => {
                // The leaked secret is gone: the key is healthy, the sighting is in the log.
                self.new_secret(&txn, &model, &mut active, now).await?;
                "rolled"
            }
            (Found::Current, _, _) => {
                if model.disabled_at.is_none() {
                    active.disabled_at = Set(Some(now));
                }
                active.leaked_at = Set(Some(now));
                active.leaked_url = Set(url.clone());
                if live {
                    "disabled"
                } else {
                    "disabled (it was not live)"
                }
            }
        };
        let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
        // Besides `key.leaked`, what the leak did to the key, for endpoints that follow that.
        let consequence = if updated.rolled_at != model.rolled_at {
            Some(AuditAction::KeyRolled)
        } else if model.disabled_at.is_none() && updated.disabled_at.is_some() {
            Some(AuditAction::KeyDisabled)
        } else {
            None
        };
        let also = match consequence {
            Some(action) => Self::queue_events(&txn, now, action, &[&updated]).await?,
            None => 0,
        };
        self.commit_change(
            txn,
            now,
            actor,
            &updated,
            Event {
                action: AuditAction::KeyLeaked,
                key: Some((&updated.id, &updated.name)),
                detail: json!({
                    "url": url,
                    "source": sighting.source,
                    "secret": match found { Found::Current => "current", Found::PreviousInGrace => "previous" },
                    "response": done,
                    // Keys this key created are not touched: an admin decides (a cascading
                    // disable reaches them all).
                    "created_keys": created_keys,
                }),
            },
        )
        .await?;
        self.events_committed(also);
        Ok(updated)
    }
}

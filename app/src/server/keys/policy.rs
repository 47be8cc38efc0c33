//! The key policy (as GitHub organisations and Stripe set for tokens): a maximum lifetime and a
//! default expiry, enforced by the server whenever a key is created, changed or rolled.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::api::{
    error::ApiError,
    types::{KeyPolicy, LeakResponse},
};
use crate::server::{
    audit::{self, Actor, Event},
    clock::{from_ms, DAY_MS},
    entities::key_policy,
    error::ServiceResult,
};

/// The policy's one row.
const ROW: i32 = 1;

/// The policy as stored (no row: none).
pub async fn load<C: ConnectionTrait>(conn: &C) -> ServiceResult<Policy> {
    let row = key_policy::Entity::find_by_id(ROW).one(conn).await?;
    Ok(Policy(row))
}

/// The stored policy, if any, with the rules it implies.
#[derive(Debug, Clone, Default)]
pub struct Policy(Option<key_policy::Model>);

impl Policy {
    fn max_days(&self) -> Option<i64> {
        self.0.as_ref()?.max_lifetime_days.map(i64::from)
    }

    fn default_days(&self) -> Option<i64> {
        self.0.as_ref()?.default_expiry_days.map(i64::from)
    }

    /// What a leak report does to a live key.
    pub fn leak_response(&self) -> LeakResponse {
        self.0
            .as_ref()
            .and_then(|r| r.leak_response.parse().ok())
            .unwrap_or_default()
    }

    pub fn to_wire(&self) -> KeyPolicy {
        KeyPolicy {
            max_lifetime_days: self.max_days().map(|d| d as u32),
            default_expiry_days: self.default_days().map(|d| d as u32),
            leak_response: self.leak_response(),
            updated_at: self.0.as_ref().map(|r| from_ms(r.updated_at)),
            updated_by: self.0.as_ref().map(|r| r.updated_by.clone()),
        }
    }

    /// An expiry the policy allows at `now`: none at all only without a maximum, and none later
    /// than the maximum ahead (422 on `field` otherwise).
    pub fn check(&self, field: &str, now: i64, expires_at: Option<i64>) -> Result<(), ApiError> {
        let Some(max) = self.max_days() else {
            return Ok(());
        };
        let latest = now + max * DAY_MS;
        match expires_at {
            None => Err(ApiError::validation(
                field,
                format!("The key policy requires an expiry: keys may live at most {max} days."),
            )),
            Some(at) if at > latest => Err(ApiError::validation(
                field,
                format!(
                    "The key policy allows at most {max} days: choose {} or earlier.",
                    from_ms(latest).format("%Y-%m-%d")
                ),
            )),
            Some(_) => Ok(()),
        }
    }

    /// The expiry of a new key: the one asked for (checked), else the default, else the
    /// maximum, else none.
    pub fn for_new_key(
        &self,
        field: &str,
        now: i64,
        requested: Option<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let expires_at = requested.or_else(|| {
            self.default_days()
                .or(self.max_days())
                .map(|days| now + days * DAY_MS)
        });
        self.check(field, now, expires_at)?;
        Ok(expires_at)
    }

    /// A rolled key's expiry: its own, brought within the maximum if it is later or none.
    pub fn on_roll(&self, now: i64, current: Option<i64>) -> Option<i64> {
        match self.max_days() {
            None => current,
            Some(max) => {
                let latest = now + max * DAY_MS;
                Some(current.map_or(latest, |at| at.min(latest)))
            }
        }
    }
}

/// Validates and stores a new policy, audited.
pub async fn store<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    actor: &Actor,
    wanted: &KeyPolicy,
) -> ServiceResult<Policy> {
    use crate::api::types::{AuditAction, MAX_POLICY_DAYS};
    for (field, days) in [
        ("max_lifetime_days", wanted.max_lifetime_days),
        ("default_expiry_days", wanted.default_expiry_days),
    ] {
        if days.is_some_and(|d| !(1..=MAX_POLICY_DAYS).contains(&d)) {
            return Err(ApiError::validation(
                field,
                format!("Choose between 1 and {MAX_POLICY_DAYS} days, or none."),
            )
            .into());
        }
    }
    if let (Some(max), Some(default)) = (wanted.max_lifetime_days, wanted.default_expiry_days) {
        if default > max {
            return Err(ApiError::validation(
                "default_expiry_days",
                format!(
                    "The default expiry cannot be longer than the maximum lifetime ({max} days)."
                ),
            )
            .into());
        }
    }
    let before = load(conn).await?.to_wire();
    let row = key_policy::ActiveModel {
        id: Set(ROW),
        max_lifetime_days: Set(wanted.max_lifetime_days.map(|d| d as i32)),
        default_expiry_days: Set(wanted.default_expiry_days.map(|d| d as i32)),
        leak_response: Set(wanted.leak_response.as_str().to_owned()),
        updated_at: Set(now),
        updated_by: Set(actor.label.clone()),
    };
    let exists = before.updated_at.is_some();
    let row = if exists {
        row.update(conn).await?
    } else {
        row.insert(conn).await?
    };
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: AuditAction::SettingsKeyPolicyChanged,
            key: None,
            detail: serde_json::json!({
                "max_lifetime_days": {"from": before.max_lifetime_days, "to": wanted.max_lifetime_days},
                "default_expiry_days": {"from": before.default_expiry_days, "to": wanted.default_expiry_days},
                "leak_response": {"from": before.leak_response, "to": wanted.leak_response},
            }),
        },
    )
    .await?;
    Ok(Policy(Some(row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max: Option<i32>, default: Option<i32>) -> Policy {
        Policy(Some(key_policy::Model {
            id: ROW,
            max_lifetime_days: max,
            default_expiry_days: default,
            leak_response: "disable".into(),
            updated_at: 0,
            updated_by: "Ann".into(),
        }))
    }

    #[test]
    fn new_keys_get_the_default_then_the_maximum_and_never_more() {
        let now = 1_000 * DAY_MS;
        assert_eq!(Policy::default().for_new_key("e", now, None).unwrap(), None);
        assert_eq!(
            policy(None, Some(90)).for_new_key("e", now, None).unwrap(),
            Some(now + 90 * DAY_MS)
        );
        assert_eq!(
            policy(Some(365), None).for_new_key("e", now, None).unwrap(),
            Some(now + 365 * DAY_MS)
        );
        assert_eq!(
            policy(Some(365), Some(30))
                .for_new_key("e", now, None)
                .unwrap(),
            Some(now + 30 * DAY_MS)
        );
        assert!(policy(Some(30), None)
            .for_new_key("e", now, Some(now + 31 * DAY_MS))
            .is_err());
        assert!(policy(Some(30), None).check("e", now, None).is_err());
        assert!(policy(None, Some(30)).check("e", now, None).is_ok());
    }

    #[test]
    fn a_roll_brings_the_expiry_within_the_maximum() {
        let now = 1_000 * DAY_MS;
        let p = policy(Some(10), None);
        assert_eq!(p.on_roll(now, None), Some(now + 10 * DAY_MS));
        assert_eq!(p.on_roll(now, Some(now + DAY_MS)), Some(now + DAY_MS));
        assert_eq!(Policy::default().on_roll(now, None), None);
    }
}

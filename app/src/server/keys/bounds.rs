//! What an API key may do to keys (GitHub fine-grained tokens, Stripe restricted keys, Unkey
//! root keys): act only on keys within its own rights — scopes, expiry and rate limit — grant
//! only what it holds, and never give any key a later expiry or a looser rate limit than its
//! own, nor a wider IP allowlist. A key authenticated with the previous secret of a roll manages nothing. Admin sessions
//! have no bounds.

use ipnet::IpNet;

use crate::api::{error::ApiError, types::Scope};
use crate::server::{clock::from_ms, entities::api_keys};

use crate::server::entities::api_keys::scopes_from_column;

/// The rights a key carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLimits {
    pub scopes: Vec<Scope>,
    pub expires_at: Option<i64>,
    pub rate_limit_per_minute: Option<u32>,
    /// Empty for anywhere.
    pub allowed_cidrs: Vec<IpNet>,
}

impl KeyLimits {
    pub fn of(model: &api_keys::Model) -> Self {
        Self {
            scopes: scopes_from_column(&model.scopes),
            expires_at: model.expires_at,
            rate_limit_per_minute: model.rate_limit_per_minute.map(|n| n as u32),
            allowed_cidrs: super::allowlist::from_column(&model.allowed_cidrs),
        }
    }
}

/// The bounds of an API key acting on keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBounds {
    pub own: KeyLimits,
    /// Authenticated with a rolled key's previous secret (during its grace).
    pub superseded: bool,
}

fn time(ms: i64) -> String {
    from_ms(ms).to_rfc3339()
}

impl KeyBounds {
    /// A previous secret keeps working for integrations during a grace, but it manages nothing:
    /// otherwise whoever holds a leaked secret could roll the key back out of its owner's hands.
    pub fn may_manage(&self) -> Result<(), ApiError> {
        if self.superseded {
            return Err(ApiError::Forbidden(
                "This secret has been replaced: only the key's current secret may manage keys."
                    .into(),
            ));
        }
        Ok(())
    }

    /// A key may roll, change, enable, disable or delete only keys within its own rights:
    /// scopes among its own (else 403 `missing_scope` naming the first it lacks), expiring no
    /// later and limited no more loosely than itself (else 403 `forbidden`).
    pub fn may_act_on(&self, target: &KeyLimits) -> Result<(), ApiError> {
        self.may_manage()?;
        if let Some(scope) = target.scopes.iter().find(|s| !self.own.scopes.contains(s)) {
            return Err(ApiError::MissingScope(*scope));
        }
        if let Some(own) = self.own.expires_at {
            if target.expires_at.is_none_or(|at| at > own) {
                return Err(ApiError::Forbidden(format!(
                    "An API key may act only on keys that expire no later than it does ({}).",
                    time(own)
                )));
            }
        }
        if let Some(own) = self.own.rate_limit_per_minute {
            if target.rate_limit_per_minute.is_none_or(|n| n > own) {
                return Err(ApiError::Forbidden(format!(
                    "An API key may act only on keys limited to at most its own {own} requests per minute."
                )));
            }
        }
        if !super::allowlist::within(&target.allowed_cidrs, &self.own.allowed_cidrs) {
            return Err(ApiError::Forbidden(
                "An API key limited to some IP ranges may act only on keys limited to ranges within its own.".into(),
            ));
        }
        Ok(())
    }

    /// An allowlist a key may set: if it is limited to some ranges itself, only ranges within
    /// them (never "anywhere").
    pub fn may_set_allowlist(&self, field: &str, allowed: &[IpNet]) -> Result<(), ApiError> {
        if super::allowlist::within(allowed, &self.own.allowed_cidrs) {
            Ok(())
        } else {
            Err(ApiError::validation(
                field,
                format!(
                    "An API key limited to {} may only set IP ranges within them.",
                    super::allowlist::to_column(&self.own.allowed_cidrs).replace(' ', ", ")
                ),
            ))
        }
    }

    /// A key may grant only scopes it holds itself.
    pub fn may_grant(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        self.may_manage()?;
        match scopes.iter().find(|s| !self.own.scopes.contains(s)) {
            Some(s) => Err(ApiError::Forbidden(format!(
                "An API key cannot grant the scope {} it does not hold.",
                s.as_str()
            ))),
            None => Ok(()),
        }
    }

    /// An expiry a key may set: none later than its own (and none at all only if it has none).
    pub fn may_set_expiry(&self, field: &str, expires_at: Option<i64>) -> Result<(), ApiError> {
        match (self.own.expires_at, expires_at) {
            (Some(own), None) => Err(ApiError::validation(
                field,
                format!(
                    "An API key cannot set a key to never expire: it expires itself, at {}.",
                    time(own)
                ),
            )),
            (Some(own), Some(at)) if at > own => Err(ApiError::validation(
                field,
                format!(
                    "An API key cannot set an expiry later than its own ({}).",
                    time(own)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A rate limit a key may set: none looser than its own.
    pub fn may_set_rate_limit(&self, field: &str, per_minute: Option<u32>) -> Result<(), ApiError> {
        match (self.own.rate_limit_per_minute, per_minute) {
            (Some(own), None) => Err(ApiError::validation(
                field,
                format!(
                    "An API key cannot remove a rate limit: it is limited itself, to {own} per minute."
                ),
            )),
            (Some(own), Some(n)) if n > own => Err(ApiError::validation(
                field,
                format!("An API key cannot set a rate limit above its own ({own} per minute)."),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(scopes: &[Scope], expires_at: Option<i64>, rate: Option<u32>) -> KeyLimits {
        KeyLimits {
            scopes: scopes.to_vec(),
            expires_at,
            rate_limit_per_minute: rate,
            allowed_cidrs: Vec::new(),
        }
    }

    fn bounds(own: KeyLimits) -> KeyBounds {
        KeyBounds {
            own,
            superseded: false,
        }
    }

    #[test]
    fn a_key_acts_only_on_keys_within_its_rights() {
        let b = bounds(limits(&[Scope::KeysRead, Scope::KeysWrite], None, None));
        assert!(b
            .may_act_on(&limits(&[Scope::KeysRead], None, None))
            .is_ok());
        assert!(b.may_act_on(&limits(&[], None, None)).is_ok());
        assert_eq!(
            b.may_act_on(&limits(&[Scope::KeysRead, Scope::KeysVerify], None, None)),
            Err(ApiError::MissingScope(Scope::KeysVerify))
        );
        let bounded = bounds(limits(&[], Some(1_000), Some(60)));
        assert!(bounded
            .may_act_on(&limits(&[], Some(900), Some(60)))
            .is_ok());
        for outside in [
            limits(&[], None, Some(60)),
            limits(&[], Some(1_001), Some(60)),
            limits(&[], Some(900), None),
            limits(&[], Some(900), Some(61)),
        ] {
            assert!(matches!(
                bounded.may_act_on(&outside),
                Err(ApiError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn a_replaced_secret_manages_nothing() {
        let b = KeyBounds {
            own: limits(&[Scope::KeysWrite], None, None),
            superseded: true,
        };
        assert!(b.may_act_on(&limits(&[], None, None)).is_err());
        assert!(b.may_grant(&[]).is_err());
    }

    #[test]
    fn a_key_cannot_outlive_or_outpace_itself() {
        let b = bounds(limits(&[], Some(1_000), Some(60)));
        assert!(b.may_set_expiry("expires_at", Some(1_000)).is_ok());
        assert!(b.may_set_expiry("expires_at", Some(500)).is_ok());
        assert_eq!(
            b.may_set_expiry("expires_at", Some(1_001))
                .unwrap_err()
                .field(),
            Some("expires_at")
        );
        assert_eq!(
            b.may_set_expiry("expires_at", None).unwrap_err().field(),
            Some("expires_at")
        );
        assert!(b
            .may_set_rate_limit("rate_limit_per_minute", Some(60))
            .is_ok());
        assert_eq!(
            b.may_set_rate_limit("rate_limit_per_minute", Some(61))
                .unwrap_err()
                .field(),
            Some("rate_limit_per_minute")
        );
        assert_eq!(
            b.may_set_rate_limit("rate_limit_per_minute", None)
                .unwrap_err()
                .field(),
            Some("rate_limit_per_minute")
        );
        let unbounded = bounds(limits(&[], None, None));
        assert!(unbounded.may_set_expiry("expires_at", None).is_ok());
        assert!(unbounded
            .may_set_rate_limit("rate_limit_per_minute", None)
            .is_ok());
    }
}

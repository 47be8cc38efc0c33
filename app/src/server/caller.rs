//! Who is calling a server function, and what they may do.

use std::sync::Arc;

use crate::api::{error::ApiError, types::Scope};

use super::audit::{Actor, ActorKind};

#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub session_hash: String,
}

#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    pub key_id: String,
    pub name: String,
    pub project: Option<String>,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<i64>,
    pub rate_limit_per_minute: Option<u32>,
}

impl KeyPrincipal {
    pub fn bounds(&self) -> KeyBounds {
        KeyBounds {
            scopes: self.scopes.clone(),
            expires_at: self.expires_at,
            rate_limit_per_minute: self.rate_limit_per_minute,
        }
    }
}

/// What an API key acting on keys is held to (GitHub fine-grained tokens, Stripe restricted
/// keys): it acts only on keys whose scopes are within its own, grants only scopes it holds, and
/// never gives itself or another key a later expiry or a looser rate limit than its own.
/// Admin sessions have no bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBounds {
    pub scopes: Vec<Scope>,
    pub expires_at: Option<i64>,
    pub rate_limit_per_minute: Option<u32>,
}

impl KeyBounds {
    /// The first of `scopes` this key lacks, if any.
    fn lacks(&self, scopes: &[Scope]) -> Option<Scope> {
        scopes.iter().copied().find(|s| !self.scopes.contains(s))
    }

    /// A key may roll, change, enable, disable or delete only keys within its own scopes:
    /// otherwise 403 naming the first scope it lacks.
    pub fn may_act_on(&self, target_scopes: &[Scope]) -> Result<(), ApiError> {
        match self.lacks(target_scopes) {
            Some(scope) => Err(ApiError::MissingScope(scope)),
            None => Ok(()),
        }
    }

    /// A key may grant only scopes it holds itself.
    pub fn may_grant(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        match self.lacks(scopes) {
            Some(s) => Err(ApiError::Forbidden(format!(
                "An API key cannot grant the scope {} it does not hold.",
                s.as_str()
            ))),
            None => Ok(()),
        }
    }

    /// An expiry a key may set: none later than its own (and none at all only if it has none).
    pub fn may_set_expiry(&self, expires_at: Option<i64>) -> Result<(), ApiError> {
        match (self.expires_at, expires_at) {
            (Some(own), None) => Err(ApiError::validation(
                "expires_at",
                format!(
                    "An API key cannot set a key to never expire: it expires itself, at {}.",
                    crate::server::clock::from_ms(own).to_rfc3339()
                ),
            )),
            (Some(own), Some(at)) if at > own => Err(ApiError::validation(
                "expires_at",
                format!(
                    "An API key cannot set an expiry later than its own ({}).",
                    crate::server::clock::from_ms(own).to_rfc3339()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A rate limit a key may set: none looser than its own.
    pub fn may_set_rate_limit(&self, per_minute: Option<u32>) -> Result<(), ApiError> {
        match (self.rate_limit_per_minute, per_minute) {
            (Some(own), None) => Err(ApiError::validation(
                "rate_limit_per_minute",
                format!(
                    "An API key cannot remove a rate limit: it is limited itself, to {own} per minute."
                ),
            )),
            (Some(own), Some(n)) if n > own => Err(ApiError::validation(
                "rate_limit_per_minute",
                format!("An API key cannot set a rate limit above its own ({own} per minute)."),
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Principal {
    Admin(AdminPrincipal),
    Key(KeyPrincipal),
    Anonymous,
}

/// The caller of one request, resolved once by the API gate and provided as context.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Arc<Principal>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Caller {
    pub fn is_anonymous(&self) -> bool {
        matches!(*self.principal, Principal::Anonymous)
    }

    /// Authenticated by a bearer API key.
    pub fn is_key(&self) -> bool {
        matches!(*self.principal, Principal::Key(_))
    }

    /// A signed-in human admin (API keys are refused).
    pub fn require_admin(&self) -> Result<&AdminPrincipal, ApiError> {
        match &*self.principal {
            Principal::Admin(admin) => Ok(admin),
            Principal::Key(_) => Err(ApiError::Forbidden(
                "Only a signed-in admin can do this; API keys cannot.".into(),
            )),
            Principal::Anonymous => Err(ApiError::Unauthenticated),
        }
    }

    /// An API key (for integrator-only endpoints such as `whoami`).
    pub fn require_key(&self) -> Result<&KeyPrincipal, ApiError> {
        match &*self.principal {
            Principal::Key(key) => Ok(key),
            Principal::Admin(_) => Err(ApiError::Forbidden(
                "This endpoint is for API keys: send Authorization: Bearer <key>.".into(),
            )),
            Principal::Anonymous => Err(ApiError::Unauthenticated),
        }
    }

    /// An admin, or a key holding `scope`.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        match &*self.principal {
            Principal::Admin(_) => Ok(()),
            Principal::Key(key) if key.scopes.contains(&scope) => Ok(()),
            Principal::Key(_) => Err(ApiError::MissingScope(scope)),
            Principal::Anonymous => Err(ApiError::Unauthenticated),
        }
    }

    /// The bounds of a calling API key; `None` for admins (and anonymous callers).
    pub fn bounds(&self) -> Option<KeyBounds> {
        match &*self.principal {
            Principal::Key(k) => Some(k.bounds()),
            _ => None,
        }
    }

    pub fn actor(&self) -> Actor {
        let (kind, id, label, bounds) = match &*self.principal {
            Principal::Admin(a) => (
                ActorKind::User,
                Some(a.user_id.clone()),
                a.name.clone(),
                None,
            ),
            Principal::Key(k) => (
                ActorKind::Key,
                Some(k.key_id.clone()),
                k.name.clone(),
                Some(k.bounds()),
            ),
            Principal::Anonymous => (ActorKind::System, None, "anonymous".to_owned(), None),
        };
        Actor {
            kind,
            id,
            label,
            ip: self.ip.clone(),
            bounds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(scopes: &[Scope], expires_at: Option<i64>, rate: Option<u32>) -> KeyBounds {
        KeyBounds {
            scopes: scopes.to_vec(),
            expires_at,
            rate_limit_per_minute: rate,
        }
    }

    #[test]
    fn a_key_acts_only_on_keys_within_its_scopes() {
        let b = bounds(&[Scope::KeysRead, Scope::KeysWrite], None, None);
        assert!(b.may_act_on(&[Scope::KeysRead]).is_ok());
        assert!(b.may_act_on(&[]).is_ok());
        assert_eq!(
            b.may_act_on(&[Scope::KeysRead, Scope::KeysVerify]),
            Err(ApiError::MissingScope(Scope::KeysVerify))
        );
    }

    #[test]
    fn a_key_cannot_outlive_or_outpace_itself() {
        let b = bounds(&[], Some(1_000), Some(60));
        assert!(b.may_set_expiry(Some(1_000)).is_ok());
        assert!(b.may_set_expiry(Some(500)).is_ok());
        assert_eq!(
            b.may_set_expiry(Some(1_001)).unwrap_err().field(),
            Some("expires_at")
        );
        assert_eq!(
            b.may_set_expiry(None).unwrap_err().field(),
            Some("expires_at")
        );
        assert!(b.may_set_rate_limit(Some(60)).is_ok());
        assert_eq!(
            b.may_set_rate_limit(Some(61)).unwrap_err().field(),
            Some("rate_limit_per_minute")
        );
        assert_eq!(
            b.may_set_rate_limit(None).unwrap_err().field(),
            Some("rate_limit_per_minute")
        );
        let unbounded = bounds(&[], None, None);
        assert!(unbounded.may_set_expiry(None).is_ok());
        assert!(unbounded.may_set_rate_limit(None).is_ok());
    }
}

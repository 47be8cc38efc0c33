//! Who is calling a server function, and what they may do.

use std::sync::Arc;

use crate::api::{
    error::ApiError,
    types::{Role, Scope},
};

use super::{
    audit::{Actor, ActorKind},
    keys::{
        bounds::{KeyBounds, KeyLimits},
        cache::KeySnapshot,
    },
};

#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub session_hash: String,
    /// When the session last proved the admin's password (sudo mode).
    pub reauthenticated_at: Option<i64>,
    /// As stored when this request was authenticated.
    pub role: Role,
}

/// How long a proven password lets a session do what sudo mode guards (as GitHub and Stripe
/// do; the list is in docs/api.md), unless configured otherwise (`--reauth-window-secs`).
/// How far ahead of this replica's clock a recorded time may be and still count.
const CLOCK_SKEW_MS: i64 = 60_000;

pub const DEFAULT_REAUTH_WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A key that authenticated: the snapshot it was verified against, shared with the key cache
/// rather than copied for each request. Reads see the key as of its authentication.
#[derive(Debug, Clone)]
pub struct KeyPrincipal(pub Arc<KeySnapshot>);

impl std::ops::Deref for KeyPrincipal {
    type Target = KeySnapshot;

    fn deref(&self) -> &KeySnapshot {
        &self.0
    }
}

impl KeyPrincipal {
    /// Authenticated with a rolled key's previous secret, during its grace.
    pub fn superseded(&self) -> bool {
        self.previous_secret
    }

    /// This key's bounds as of its authentication (for what reads show it; mutations re-read
    /// the key inside their transaction).
    pub fn bounds(&self) -> KeyBounds {
        KeyBounds {
            own: KeyLimits {
                scopes: self.scopes.clone(),
                expires_at: self.expires_at,
                rate_limit_per_minute: self.rate_limit_per_minute,
                allowed_cidrs: self.allowed_cidrs.clone(),
            },
            superseded: self.superseded(),
        }
    }
}

/// What a viewer is told when they try what only the admin role may do.
fn viewer_refused() -> ApiError {
    ApiError::Forbidden(
        "Viewers can look but not change anything: this needs the admin role.".into(),
    )
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
    pub ip: Option<Arc<str>>,
    pub user_agent: Option<Arc<str>>,
}

impl Caller {
    pub fn is_anonymous(&self) -> bool {
        matches!(*self.principal, Principal::Anonymous)
    }

    /// Authenticated by a bearer API key.
    pub fn is_key(&self) -> bool {
        matches!(*self.principal, Principal::Key(_))
    }

    /// Counts this request as a use of the calling key (Last Used, daily counts): done once its
    /// whole request has been accepted, so refused bodies are not uses.
    pub fn record_use(&self, keys: &super::keys::KeyService) {
        if let Principal::Key(key) = &*self.principal {
            keys.record_use(&key.key_id, self.ip.as_deref(), self.user_agent.as_deref());
        }
    }

    /// A signed-in human, admin or viewer (API keys are refused).
    pub fn require_session(&self) -> Result<&AdminPrincipal, ApiError> {
        match &*self.principal {
            Principal::Admin(admin) => Ok(admin),
            Principal::Key(_) => Err(ApiError::Forbidden(
                "Only a signed-in admin can do this; API keys cannot.".into(),
            )),
            Principal::Anonymous => Err(ApiError::Unauthenticated),
        }
    }

    /// A signed-in human with the admin role (viewers and API keys are refused).
    pub fn require_admin(&self) -> Result<&AdminPrincipal, ApiError> {
        let admin = self.require_session()?;
        if admin.role.can_manage() {
            Ok(admin)
        } else {
            Err(viewer_refused())
        }
    }

    /// Sudo mode, for what a stolen session cookie must not do alone: an admin session needs
    /// its password entered within `window`. API keys prove themselves with every request and
    /// their own rights, so they pass.
    pub fn require_recent_password(
        &self,
        now_ms: i64,
        window: std::time::Duration,
    ) -> Result<(), ApiError> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        match &*self.principal {
            Principal::Admin(admin) => match admin.reauthenticated_at {
                // A time slightly ahead (another replica's clock) counts; far ahead does not.
                Some(at) if (-CLOCK_SKEW_MS..=window_ms).contains(&now_ms.saturating_sub(at)) => {
                    Ok(())
                }
                _ => Err(ApiError::ReauthRequired),
            },
            Principal::Key(_) => Ok(()),
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
            Principal::Admin(admin) if admin.role.may(scope) => Ok(()),
            Principal::Admin(_) => Err(viewer_refused()),
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
        let (kind, id, label, secret_hash) = match &*self.principal {
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
                Some(k.secret_hash.clone()),
            ),
            Principal::Anonymous => (ActorKind::System, None, "anonymous".to_owned(), None),
        };
        Actor {
            kind,
            id,
            label,
            ip: self.ip.as_deref().map(str::to_owned),
            secret_hash,
        }
    }
}

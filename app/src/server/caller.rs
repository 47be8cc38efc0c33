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

    /// An API key may grant only scopes it holds itself (admins may grant any).
    pub fn may_grant(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        match &*self.principal {
            Principal::Key(key) => match scopes.iter().find(|s| !key.scopes.contains(s)) {
                Some(s) => Err(ApiError::Forbidden(format!(
                    "An API key cannot grant the scope {} it does not hold.",
                    s.as_str()
                ))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    pub fn actor(&self) -> Actor {
        let (kind, id, label) = match &*self.principal {
            Principal::Admin(a) => (ActorKind::User, Some(a.user_id.clone()), a.name.clone()),
            Principal::Key(k) => (ActorKind::Key, Some(k.key_id.clone()), k.name.clone()),
            Principal::Anonymous => (ActorKind::System, None, "anonymous".to_owned()),
        };
        Actor {
            kind,
            id,
            label,
            ip: self.ip.clone(),
        }
    }
}

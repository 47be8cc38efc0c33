//! Who did what: actors and the audit events written inside each mutation's transaction.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::{entities::audit_events, error::ServiceResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    User,
    Key,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Key => "key",
            Self::System => "system",
        }
    }
}

/// The caller of a mutation, as the audit trail and "Created By" record it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    /// Display name of the admin, or name of the key.
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            label: label.to_owned(),
            ip: None,
        }
    }

    /// The "Created By" text: the admin's name, or `API key: <name>`.
    pub fn creator_label(&self) -> String {
        match self.kind {
            ActorKind::User | ActorKind::System => self.label.clone(),
            ActorKind::Key => format!("API key: {}", self.label),
        }
    }
}

pub struct Event<'a> {
    pub action: &'a str,
    pub key: Option<(&'a str, &'a str)>,
    pub detail: serde_json::Value,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    at_ms: i64,
    actor: &Actor,
    event: Event<'_>,
) -> ServiceResult<()> {
    audit_events::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        at: Set(at_ms),
        actor_kind: Set(actor.kind.as_str().to_owned()),
        actor_id: Set(actor.id.clone()),
        actor_label: Set(actor.label.clone()),
        action: Set(event.action.to_owned()),
        key_id: Set(event.key.map(|(id, _)| id.to_owned())),
        key_name: Set(event.key.map(|(_, name)| name.to_owned())),
        ip: Set(actor.ip.clone()),
        detail: Set(event.detail.to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

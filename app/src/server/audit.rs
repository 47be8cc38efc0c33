//! Who did what: actors and the audit events written inside each mutation's transaction.

use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};

use super::{
    entities::audit_events,
    error::ServiceResult,
    keys::list::{like_contains, like_starts_with},
};

pub use crate::api::types::ActorKind;
use crate::api::{
    error::ApiError,
    types::{AuditAction, AuditFilter},
    validate,
};

/// The caller of a mutation, as the audit trail and "Created By" record it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    /// Display name of the admin, or name of the key.
    pub label: String,
    pub ip: Option<String>,
    /// For an API key: the lookup hash of the secret it presented. Under lock, a secret that is
    /// no longer the key's current one (a roll's previous secret) may manage nothing.
    pub secret_hash: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            label: label.to_owned(),
            ip: None,
            secret_hash: None,
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
    pub action: AuditAction,
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
        actor_kind: Set(actor.kind),
        actor_id: Set(actor.id.clone()),
        actor_label: Set(actor.label.clone()),
        action: Set(event.action),
        key_id: Set(event.key.map(|(id, _)| id.to_owned())),
        key_name: Set(event.key.map(|(_, name)| name.to_owned())),
        ip: Set(actor.ip.clone()),
        detail: Set(event.detail.to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The events `filter` selects, newest first (a bad filter is a 422 naming its field).
pub fn select(filter: &AuditFilter) -> ServiceResult<Select<audit_events::Entity>> {
    let mut query = audit_events::Entity::find();
    if let Some(prefix) = validate::query("action", filter.action.as_deref())? {
        query = query.filter(
            audit_events::Column::Action
                .like(LikeExpr::new(like_starts_with(&prefix)).escape('\\')),
        );
    }
    if let Some(actor) = validate::query("actor", filter.actor.as_deref())? {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(audit_events::Column::ActorLabel)))
                .like(LikeExpr::new(like_contains(&actor.to_lowercase())).escape('\\')),
        );
    }
    if let Some(key_id) = validate::query("key_id", filter.key_id.as_deref())? {
        query = query.filter(audit_events::Column::KeyId.eq(key_id));
    }
    if let (Some(from), Some(until)) = (filter.from, filter.until) {
        if until < from {
            return Err(
                ApiError::validation("until", "The end must not be before the start.").into(),
            );
        }
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::Column::At.gte(from.timestamp_millis()));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::Column::At.lt(until.timestamp_millis()));
    }
    Ok(query
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id))
}

/// Events newest first: `limit` of those `filter` selects, older than the event `before`.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    limit: u64,
    before: Option<&str>,
    filter: &AuditFilter,
) -> ServiceResult<Vec<audit_events::Model>> {
    let mut query = select(filter)?;
    if let Some(before) = before {
        let Some(cursor) = audit_events::Entity::find_by_id(before).one(conn).await? else {
            return Err(ApiError::validation(
                "before",
                "No such audit event: page from an event this log answered.",
            )
            .into());
        };
        query = query.filter(
            Condition::any()
                .add(audit_events::Column::At.lt(cursor.at))
                .add(
                    Condition::all()
                        .add(audit_events::Column::At.eq(cursor.at))
                        .add(audit_events::Column::Id.lt(cursor.id)),
                ),
        );
    }
    Ok(query.limit(limit).all(conn).await?)
}

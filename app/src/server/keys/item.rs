//! Stored rows turned into what the wire shows.

use crate::api::types::{CreatorKind, KeyItem, KeyStatus, Scope};
use crate::server::{clock::from_ms, entities::api_keys, vault::format::mask};

pub fn scopes_from_column(column: &str) -> Vec<Scope> {
    column.split_whitespace().filter_map(Scope::parse).collect()
}

pub fn scopes_to_column(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn status(model: &api_keys::Model, now_ms: i64) -> KeyStatus {
    if model.disabled_at.is_some() {
        KeyStatus::Disabled
    } else if model.expires_at.is_some_and(|at| at <= now_ms) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

pub fn to_item(model: &api_keys::Model, now_ms: i64) -> KeyItem {
    KeyItem {
        id: model.id.clone(),
        name: model.name.clone(),
        project: model.project.clone(),
        masked: mask(&model.start, &model.last4),
        created_at: from_ms(model.created_at),
        created_by: model.created_by_label.clone(),
        created_by_kind: if model.created_by_kind == "key" {
            CreatorKind::Key
        } else {
            CreatorKind::User
        },
        last_used_at: model.last_used_at.map(from_ms),
        last_used_ip: model.last_used_ip.clone(),
        last_used_user_agent: model.last_used_user_agent.clone(),
        usage_count: model.usage_count,
        expires_at: model.expires_at.map(from_ms),
        disabled_at: model.disabled_at.map(from_ms),
        status: status(model, now_ms),
        scopes: scopes_from_column(&model.scopes),
        recoverable: model.recoverable,
        previous_secret_expires_at: model
            .previous_secret_expires_at
            .filter(|at| *at > now_ms)
            .map(from_ms),
        rate_limit_per_minute: model.rate_limit_per_minute.map(|n| n as u32),
    }
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::AuditItem};

/// This key's audit events, newest first (at most 200).
#[server(prefix = "/api", endpoint = "v1/keys.history", input = Json, output = Json)]
pub async fn key_history(id: String) -> Result<Vec<AuditItem>, ApiError> {
    use crate::{api::types::Scope, server::clock::from_ms};
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysRead)?;
    let events = state.keys.history(&id, 200).await?;
    Ok(events
        .into_iter()
        .map(|e| AuditItem {
            id: e.id,
            at: from_ms(e.at),
            actor_kind: e.actor_kind,
            actor_label: e.actor_label,
            action: e.action,
            ip: e.ip,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::AuditItem};

crate::api_fn! {
    need: Scope(KeysRead),
    /// This key's audit events, newest first (at most 200). An API key sees addresses and admins'
    /// names only for keys it may act on.
    #[server(prefix = "/api", endpoint = "v1/keys.history", input = Json, output = Json)]
    pub async fn key_history(id: String) -> Result<Vec<AuditItem>, ApiError> {
        use crate::server::wire::{sees_details, to_audit_item};
        let (state, caller) = crate::server::request()?;
        // The history outlives a deleted key; whose rights it was within is then unknown, so only
        // admins see its details.
        let details = match state.keys.get(&id).await {
            Ok(key) => sees_details(caller.bounds().as_ref(), &key),
            Err(_) => caller.bounds().is_none(),
        };
        let events = state.keys.history(&id, 200).await?;
        Ok(events
            .into_iter()
            .map(|e| to_audit_item(e, details))
            .collect())
    }
}

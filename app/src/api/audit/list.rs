use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::AuditItem};

crate::api_fn! {
    need: Admin,
    /// The audit log, newest first: `limit` events (default 50, at most 200) older than the event
    /// `before` (for the next page), optionally only actions starting with `action` (e.g. `auth.`).
    /// Admin sessions only.
    #[server(prefix = "/api", endpoint = "v1/audit.list", input = Json, output = Json)]
    pub async fn list_audit(
        #[server(default)] limit: Option<u64>,
        #[server(default)] before: Option<String>,
        #[server(default)] action: Option<String>,
    ) -> Result<Vec<AuditItem>, ApiError> {
        use crate::{api::types::MAX_AUDIT_PAGE, server::wire::to_audit_item};
        let (state, caller) = crate::server::request()?;
        caller.require_admin()?;
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("Limit must be between 1 and {MAX_AUDIT_PAGE}."),
            ));
        }
        let events = crate::server::audit::list(
            &state.db,
            limit,
            before.as_deref(),
            action.as_deref().filter(|a| !a.is_empty()),
        )
        .await?;
        Ok(events.into_iter().map(|e| to_audit_item(e, true)).collect())
    }
}

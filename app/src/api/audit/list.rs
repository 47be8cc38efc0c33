use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{AuditFilter, AuditItem},
};

crate::api_fn! {
    need: Session,
    /// The audit log, newest first: `limit` events (default 50, at most 200) older than the event
    /// `before` (for the next page), optionally only those of an `action` prefix (e.g. `auth.`),
    /// an `actor` (name contains, ignoring case), a `key_id`, and a time range (`from`
    /// inclusive, `until` exclusive). Admin sessions, viewers too.
    #[server(prefix = "/api", endpoint = "v1/audit.list", input = Json, output = Json)]
    pub async fn list_audit(
        #[server(default)] limit: Option<u64>,
        #[server(default)] before: Option<String>,
        #[server(flatten)] filter: AuditFilter,
    ) -> Result<Vec<AuditItem>, ApiError> {
        use crate::{api::types::MAX_AUDIT_PAGE, server::wire::to_audit_item};
        let (state, caller) = crate::server::request()?;
        caller.require_session()?;
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("Limit must be between 1 and {MAX_AUDIT_PAGE}."),
            ));
        }
        let events =
            crate::server::audit::list(&state.db, limit, before.as_deref(), &filter).await?;
        Ok(events.into_iter().map(|e| to_audit_item(e, true)).collect())
    }
}

use leptos::prelude::*;
use server_fn::codec::{Json, StreamingText, TextStream};

use crate::api::{error::ApiError, types::AuditFilter};

/// The export's columns, in order.
pub const AUDIT_EXPORT_COLUMNS: [&str; 9] = [
    "at",
    "actor_kind",
    "actor",
    "action",
    "key_id",
    "key_name",
    "ip",
    "detail",
    "id",
];

crate::api_fn! {
    need: Session,
    produces: "text/csv",
    /// The audit events `audit.list` would show for the same filters — all of them, newest
    /// first — as CSV (`text/csv`, one header row, `detail` as JSON), streamed as it is read.
    /// Admin sessions, viewers too.
    #[server(prefix = "/api", endpoint = "v1/audit.export", input = Json, output = StreamingText)]
    pub async fn export_audit(
        #[server(flatten)] filter: AuditFilter,
    ) -> Result<TextStream<ApiError>, ApiError> {
        use crate::server::{audit, export, wire::to_audit_item};
        let (state, _) = crate::server::request()?;
        let select = audit::select(&filter)?;
        let rows = export::csv(&state.exports, state.db.clone(), select, &AUDIT_EXPORT_COLUMNS, |event| {
            let e = to_audit_item(event, true);
            vec![
                e.at.to_rfc3339(),
                e.actor_kind.as_str().to_owned(),
                e.actor_label,
                e.action.as_str().to_owned(),
                e.key_id.unwrap_or_default(),
                e.key_name.unwrap_or_default(),
                e.ip.unwrap_or_default(),
                e.detail.to_string(),
                e.id,
            ]
        });
        Ok(TextStream::new(rows?))
    }
}

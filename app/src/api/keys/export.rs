use leptos::prelude::*;
use server_fn::codec::{Json, StreamingText, TextStream};

use crate::api::{
    error::ApiError,
    types::{KeyFilter, SortField, SortOrder},
};

/// The export's columns, in order (never a secret: the masked form only).
pub const KEY_EXPORT_COLUMNS: [&str; 14] = [
    "name",
    "project",
    "masked",
    "created",
    "created_by",
    "last_used",
    "last_used_ip",
    "expires",
    "status",
    "scopes",
    "allowed_ips",
    "rate_limit_per_minute",
    "leaked",
    "id",
];

crate::api_fn! {
    need: Scope(KeysRead),
    produces: "text/csv",
    /// The keys as `keys.list` would show them for the same `query`, `filter`, `sort` and `order`
    /// — all of them, no pages — as CSV (`text/csv`, one header row), streamed as it is read, so
    /// 100,000 keys take no more memory than ten. Never a secret: the masked form only. About
    /// keys outside its rights, an API key sees no address and no admin's name, as in the list.
    /// Cells that a spreadsheet would run as a formula start with `'`.
    #[server(prefix = "/api", endpoint = "v1/keys.export", input = Json, output = StreamingText)]
    pub async fn export_keys(
        query: Option<String>,
        sort: Option<SortField>,
        order: Option<SortOrder>,
        filter: Option<KeyFilter>,
    ) -> Result<TextStream<ApiError>, ApiError> {
        use crate::server::{export, keys::list::ListParams, wire::to_item_for};
        let (state, caller) = crate::server::request()?;
        let select = state
            .keys
            .all_matching(&ListParams {
                query,
                sort,
                order,
                filter,
                name_only: caller.is_key(),
                ..Default::default()
            })
            .await?;
        let (now, viewer) = (state.clock.now_ms(), caller.bounds());
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
        let rows = export::csv(&state.exports, state.db.clone(), select, &KEY_EXPORT_COLUMNS, move |model| {
            let k = to_item_for(&model, now, viewer.as_ref());
            vec![
                k.name,
                k.project.unwrap_or_default(),
                k.masked,
                k.created_at.to_rfc3339(),
                k.created_by,
                time(k.last_used_at),
                k.last_used_ip.unwrap_or_default(),
                time(k.expires_at),
                k.status.label().to_lowercase(),
                k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                k.allowed_cidrs.join(" "),
                k.rate_limit_per_minute.map(|n| n.to_string()).unwrap_or_default(),
                k.leaked_url.or(k.leaked_at.map(|_| "yes".to_owned())).unwrap_or_default(),
                k.id,
            ]
        });
        Ok(TextStream::new(rows?))
    }
}

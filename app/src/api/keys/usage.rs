use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::UsageSeries};

crate::api_fn! {
    need: Scope(KeysRead),
    errors: [NotFound],
    /// Requests per day over the last `days` days (default 30, at most 365).
    #[server(prefix = "/api", endpoint = "v1/keys.usage", input = Json, output = Json)]
    pub async fn key_usage(id: String, days: Option<u32>) -> Result<UsageSeries, ApiError> {
        use crate::api::types::{UsageDay, MAX_USAGE_DAYS};
        let (state, _) = crate::server::request()?;
        let days = days.unwrap_or(30);
        if !(1..=MAX_USAGE_DAYS).contains(&days) {
            return Err(ApiError::validation(
                "days",
                format!("Days must be between 1 and {MAX_USAGE_DAYS}."),
            ));
        }
        let series = state.keys.usage(&id, days).await?;
        Ok(UsageSeries {
            total: series.iter().map(|(_, n)| n).sum(),
            days: series
                .into_iter()
                .map(|(day, count)| UsageDay { day, count })
                .collect(),
        })
    }
}

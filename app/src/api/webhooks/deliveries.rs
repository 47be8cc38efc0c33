use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, webhooks::types::WebhookAttempt};

crate::api_fn! {
    need: Admin,
    errors: [NotFound],
    /// The endpoint's recent delivery attempts, newest first (`limit` 1–100, 50 by default):
    /// event, attempt number, status code, duration, the response body's first 1 KB, and where
    /// the message stands (pending with its next attempt, delivered, or failed).
    #[server(prefix = "/api", endpoint = "v1/webhooks.deliveries", input = Json, output = Json)]
    pub async fn webhook_deliveries(
        id: String,
        #[server(default)] limit: Option<u64>,
    ) -> Result<Vec<WebhookAttempt>, ApiError> {
        let (state, _) = crate::server::request()?;
        Ok(state.webhooks.attempts(&id, limit).await?)
    }
}

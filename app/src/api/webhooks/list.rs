use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, webhooks::types::WebhookEndpoint};

crate::api_fn! {
    need: Admin,
    /// Every webhook endpoint, oldest first (never their secrets).
    #[server(prefix = "/api", endpoint = "v1/webhooks.list", input = Json, output = Json)]
    pub async fn list_webhooks() -> Result<Vec<WebhookEndpoint>, ApiError> {
        let (state, _) = crate::server::request()?;
        Ok(state
            .webhooks
            .list()
            .await?
            .iter()
            .map(crate::server::wire::to_webhook)
            .collect())
    }
}

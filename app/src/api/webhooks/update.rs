use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    webhooks::types::{WebhookEndpoint, WebhookPatch},
};

crate::api_fn! {
    need: Admin,
    errors: [NotFound, ReauthRequired],
    /// Changes an endpoint's URL, events or description, or disables (`disabled: true`) or
    /// enables it; an absent field stays as it is. Enabling clears why it was disabled, and
    /// deliveries still pending resume. Sudo mode: the session must have entered its password
    /// recently.
    #[server(prefix = "/api", endpoint = "v1/webhooks.update", input = Json, output = Json)]
    pub async fn update_webhook(
        id: String,
        #[server(flatten)] patch: WebhookPatch,
    ) -> Result<WebhookEndpoint, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        let model = state.webhooks.update(&caller.actor(), &id, &patch).await?;
        Ok(crate::server::wire::to_webhook(&model))
    }
}

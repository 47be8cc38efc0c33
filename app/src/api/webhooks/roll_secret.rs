use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, webhooks::types::CreatedWebhook};

crate::api_fn! {
    need: Admin,
    errors: [NotFound, ReauthRequired],
    /// Gives the endpoint a new signing secret, answered once. For 24 hours every message is
    /// signed with both the new and the previous secret (two `v1,` signatures), so receivers
    /// can switch without losing one. Sudo mode: the session must have entered its password
    /// recently.
    #[server(prefix = "/api", endpoint = "v1/webhooks.roll_secret", input = Json, output = Json)]
    pub async fn roll_webhook_secret(id: String) -> Result<CreatedWebhook, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        let (model, secret) = state.webhooks.roll_secret(&caller.actor(), &id).await?;
        crate::server::no_store();
        Ok(CreatedWebhook {
            endpoint: crate::server::wire::to_webhook(&model),
            secret,
        })
    }
}

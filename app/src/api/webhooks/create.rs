use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    webhooks::types::{CreatedWebhook, NewWebhook},
};

crate::api_fn! {
    need: Admin,
    errors: [ReauthRequired],
    /// Adds an endpoint for the `events` it wants; answers its signing secret (`whsec_…`,
    /// base64 of 32 random bytes) once. The URL must be `https` (unless the server allows
    /// insecure webhooks) and lead to public addresses only: loopback, private, link-local and
    /// metadata addresses are refused here and again at every delivery (422 naming `url`).
    /// Sudo mode: the session must have entered its password recently.
    #[server(prefix = "/api", endpoint = "v1/webhooks.create", input = Json, output = Json)]
    pub async fn create_webhook(
        #[server(flatten)] input: NewWebhook,
    ) -> Result<CreatedWebhook, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        let (model, secret) = state
            .webhooks
            .create(&caller.actor(), &input.url, &input.events, &input.description)
            .await?;
        crate::server::no_store();
        Ok(CreatedWebhook {
            endpoint: crate::server::wire::to_webhook(&model),
            secret,
        })
    }
}

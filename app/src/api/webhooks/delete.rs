use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Admin,
    errors: [NotFound, ReauthRequired],
    /// Deletes an endpoint with its delivery log; nothing more is sent to it. Sudo mode: the
    /// session must have entered its password recently.
    #[server(prefix = "/api", endpoint = "v1/webhooks.delete", input = Json, output = Json)]
    pub async fn delete_webhook(id: String) -> Result<(), ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        state.webhooks.delete(&caller.actor(), &id).await?;
        Ok(())
    }
}

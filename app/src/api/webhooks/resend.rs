use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Admin,
    errors: [NotFound],
    /// Sends one message to the endpoint again, now (same `webhook-id`, so receivers can drop a
    /// duplicate). A failed message gets one more attempt.
    #[server(prefix = "/api", endpoint = "v1/webhooks.resend", input = Json, output = Json)]
    pub async fn resend_webhook(id: String, message_id: String) -> Result<(), ApiError> {
        let (state, _) = crate::server::request()?;
        Ok(state.webhooks.resend(&id, &message_id).await?)
    }
}

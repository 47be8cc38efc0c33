use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Admin,
    errors: [NotFound],
    /// Sends the endpoint a signed `webhook.test` event (whatever events it wants); answers the
    /// message id, whose attempts then show in `webhooks.deliveries`. A disabled endpoint gets
    /// none (403).
    #[server(prefix = "/api", endpoint = "v1/webhooks.test", input = Json, output = Json)]
    pub async fn test_webhook(id: String) -> Result<String, ApiError> {
        let (state, _) = crate::server::request()?;
        Ok(state.webhooks.send_test(&id).await?)
    }
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound],
    /// Deletes a key; with `cascade`, also every key created from it (transitively).
    ///
    /// An API key may delete only keys within its own rights (scopes, expiry, rate limit), and never with a rolled key's previous secret.
    #[server(prefix = "/api", endpoint = "v1/keys.delete", input = Json, output = Json)]
    pub async fn delete_key(id: String, #[server(default)] cascade: bool) -> Result<(), ApiError> {
        let (state, caller) = crate::server::request()?;
        state.keys.delete(&caller.actor(), &id, cascade).await?;
        Ok(())
    }
}

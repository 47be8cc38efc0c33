use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{KeyItem, KeyPatch},
};

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound],
    /// Changes name, project, expiry, scopes or rate limit; absent fields stay as they are.
    ///
    /// An API key may change only keys within its own rights (scopes, expiry, rate limit), and never with a rolled key's previous secret, grant only scopes it holds, and set no later
    /// expiry or looser rate limit than its own (422 naming the field).
    #[server(prefix = "/api", endpoint = "v1/keys.update", input = Json, output = Json)]
    pub async fn update_key(
        id: String,
        #[server(flatten)] patch: KeyPatch,
    ) -> Result<KeyItem, ApiError> {
        let (state, caller) = crate::server::request()?;
        let model = state.keys.update(&caller.actor(), &id, patch).await?;
        Ok(super::item(&state, &caller, &model))
    }
}

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

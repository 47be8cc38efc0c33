use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{KeyItem, KeyPatch},
};

/// Changes name, project, expiry, scopes or rate limit; absent fields stay as they are.
#[server(prefix = "/api", endpoint = "v1/keys.update", input = Json, output = Json)]
pub async fn update_key(
    id: String,
    #[server(flatten)] patch: KeyPatch,
) -> Result<KeyItem, ApiError> {
    use crate::api::types::Scope;
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysWrite)?;
    let model = state.keys.update(&caller.actor(), &id, patch).await?;
    Ok(super::item(&state, &caller, &model))
}

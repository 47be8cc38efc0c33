use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{CreatedKey, NewKey},
};

/// Creates a key and answers its full secret, once.
#[server(prefix = "/api", endpoint = "v1/keys.create", input = Json, output = Json)]
pub async fn create_key(#[server(flatten)] key: NewKey) -> Result<CreatedKey, ApiError> {
    use crate::api::types::Scope;
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysWrite)?;
    let (model, secret) = state.keys.create(&caller.actor(), key).await?;
    crate::server::no_store();
    Ok(CreatedKey {
        key: super::item(&state, &caller, &model),
        secret: secret.into_string(),
    })
}

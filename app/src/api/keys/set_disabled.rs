use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyItem};

#[server(prefix = "/api", endpoint = "v1/keys.enable", input = Json, output = Json)]
pub async fn enable_key(id: String) -> Result<KeyItem, ApiError> {
    use crate::api::types::Scope;
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysWrite)?;
    let model = state.keys.set_disabled(&caller.actor(), &id, false).await?;
    Ok(super::item(&state, &model))
}

#[server(prefix = "/api", endpoint = "v1/keys.disable", input = Json, output = Json)]
pub async fn disable_key(id: String) -> Result<KeyItem, ApiError> {
    use crate::api::types::Scope;
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysWrite)?;
    let model = state.keys.set_disabled(&caller.actor(), &id, true).await?;
    Ok(super::item(&state, &model))
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyItem};

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound],
    /// Enables a key. Never cascades (`cascade` is an unknown argument here): keys disabled with
    /// it stay disabled until each is enabled, so none disabled on purpose comes back by accident.
    #[server(prefix = "/api", endpoint = "v1/keys.enable", input = Json, output = Json)]
    pub async fn enable_key(id: String) -> Result<KeyItem, ApiError> {
        set_disabled(id, false, false).await
    }
}

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound],
    /// Disables a key; with `cascade`, also every key created from it (transitively). An API
    /// key may disable only keys within its own rights, and its cascade reaches at most 10,000
    /// keys.
    #[server(prefix = "/api", endpoint = "v1/keys.disable", input = Json, output = Json)]
    pub async fn disable_key(
        id: String,
        #[server(default)] cascade: bool,
    ) -> Result<KeyItem, ApiError> {
        set_disabled(id, true, cascade).await
    }
}

#[cfg(feature = "ssr")]
async fn set_disabled(id: String, disabled: bool, cascade: bool) -> Result<KeyItem, ApiError> {
    let (state, caller) = crate::server::request()?;
    let model = state
        .keys
        .set_disabled(&caller.actor(), &id, disabled, cascade)
        .await?;
    Ok(super::item(&state, &caller, &model))
}

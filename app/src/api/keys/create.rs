use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{CreatedKey, NewKey},
};

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [ReauthRequired],
    /// Creates a key and answers its full secret, once.
    ///
    /// An API key creating a key grants only scopes it holds and sets no later expiry or looser
    /// rate limit than its own (422 naming the field); the new key records it as its creator.
    /// An admin session creating a key that holds `keys:write` must have entered its password
    /// recently (sudo mode, else 403 `reauth_required`).
    #[server(prefix = "/api", endpoint = "v1/keys.create", input = Json, output = Json)]
    pub async fn create_key(#[server(flatten)] key: NewKey) -> Result<CreatedKey, ApiError> {
        let (state, caller) = crate::server::request()?;
        if key.scopes.contains(&crate::api::types::Scope::KeysWrite) {
            state.require_recent_password(&caller)?;
        }
        let (model, secret) = state.keys.create(&caller.actor(), key).await?;
        crate::server::no_store();
        Ok(CreatedKey {
            key: super::item(&state, &caller, &model),
            secret: secret.into_string(),
        })
    }
}

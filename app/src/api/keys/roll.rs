use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::CreatedKey};

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound, ReauthRequired],
    /// Gives the key a new secret (answered once); the old one works for `grace_seconds` more.
    ///
    /// An API key may roll only keys within its own rights (scopes, expiry, rate limit), and never with a rolled key's previous secret.
    /// An admin session must have entered its password recently (sudo mode, as for reveal: the
    /// answer is a working secret), else 403 `reauth_required`.
    #[server(prefix = "/api", endpoint = "v1/keys.roll", input = Json, output = Json)]
    pub async fn roll_key(
        id: String,
        #[server(default)] grace_seconds: u64,
    ) -> Result<CreatedKey, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        let (model, secret) = state.keys.roll(&caller.actor(), &id, grace_seconds).await?;
        crate::server::no_store();
        Ok(CreatedKey {
            key: super::item(&state, &caller, &model),
            secret: secret.into_string(),
        })
    }
}

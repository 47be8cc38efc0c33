use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{KeyItem, KeyPatch},
};

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound, ReauthRequired],
    /// Changes name, project, expiry, scopes or rate limit; absent fields stay as they are.
    ///
    /// An API key may change only keys within its own rights (scopes, expiry, rate limit), and never with a rolled key's previous secret, grant only scopes it holds, and set no later
    /// expiry or looser rate limit than its own (422 naming the field). An admin session giving
    /// `keys:write` to a key that lacks it must have entered its password recently (sudo mode,
    /// as for creating such a key), else 403 `reauth_required`; so must one widening a key's IP
    /// allowlist or removing it.
    #[server(prefix = "/api", endpoint = "v1/keys.update", input = Json, output = Json)]
    pub async fn update_key(
        id: String,
        #[server(flatten)] patch: KeyPatch,
    ) -> Result<KeyItem, ApiError> {
        let (state, caller) = crate::server::request()?;
        use crate::api::types::Scope;
        let grants_write = patch.scopes.as_ref().is_some_and(|s| s.contains(&Scope::KeysWrite));
        if grants_write && !caller.is_key() {
            let current = state.keys.get(&id).await?;
            let holds_write = crate::server::entities::api_keys::scopes_from_column(&current.scopes)
                .contains(&Scope::KeysWrite);
            if !holds_write {
                state.require_recent_password(&caller)?;
            }
        }
        // Opening a key to more addresses is as sensitive as granting it more rights.
        if let (Some(wanted), false) = (&patch.allowed_cidrs, caller.is_key()) {
            use crate::server::keys::allowlist;
            let current = allowlist::from_column(&state.keys.get(&id).await?.allowed_cidrs);
            let wanted = allowlist::parse("allowed_cidrs", wanted)?;
            if !allowlist::within(&wanted, &current) {
                state.require_recent_password(&caller)?;
            }
        }
        let model = state.keys.update(&caller.actor(), &id, patch).await?;
        Ok(super::item(&state, &caller, &model))
    }
}

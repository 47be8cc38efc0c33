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
        use crate::api::types::Scope;
        use crate::server::{entities::api_keys::scopes_from_column, keys::allowlist};
        let (state, caller) = crate::server::request()?;
        // Sudo mode for an admin session making a key more powerful: granting `keys:write`, or
        // opening it to more addresses. (Keys are held to their own rights by the service.)
        let grants_write = patch.scopes.as_ref().is_some_and(|s| s.contains(&Scope::KeysWrite));
        if !caller.is_key() && (grants_write || patch.allowed_cidrs.is_some()) {
            let current = state.keys.get(&id).await?;
            let gains_write = grants_write
                && !scopes_from_column(&current.scopes).contains(&Scope::KeysWrite);
            let widens = match &patch.allowed_cidrs {
                Some(wanted) => !allowlist::within(
                    &allowlist::parse("allowed_cidrs", wanted)?,
                    &allowlist::from_column(&current.allowed_cidrs),
                ),
                None => false,
            };
            if gains_write || widens {
                state.require_recent_password(&caller)?;
            }
        }
        let model = state.keys.update(&caller.actor(), &id, patch).await?;
        Ok(super::item(&state, &caller, &model))
    }
}

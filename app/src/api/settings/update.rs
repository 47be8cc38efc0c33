use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{KeyPolicy, KeyPolicyPatch},
};

crate::api_fn! {
    need: Admin,
    errors: [ReauthRequired],
    /// Changes the key policy; an absent field stays as it is. `max_lifetime_days`: no key may
    /// be created, changed or rolled to expire later than that many days ahead, nor never.
    /// `default_expiry_days`: what a key created without an expiry gets. Each 1–3650, or `null`
    /// for none; the default may not exceed the maximum (422). `leak_response`: what a leak
    /// report does to a live key, `disable` (the default) or `roll` (a new secret, no grace).
    /// Keys keep their expiry until it is changed, or they are rolled. Sudo mode: the session
    /// must have entered its password recently.
    #[server(prefix = "/api", endpoint = "v1/settings.update", input = Json, output = Json)]
    pub async fn update_settings(
        #[server(flatten)] patch: KeyPolicyPatch,
    ) -> Result<KeyPolicy, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        Ok(state.keys.set_policy(&caller.actor(), &patch).await?)
    }
}

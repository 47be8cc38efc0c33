use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyPolicy};

crate::api_fn! {
    need: Admin,
    errors: [ReauthRequired],
    /// Sets the key policy: `max_lifetime_days` (no key may be created, changed or rolled to
    /// expire later than that many days ahead, nor never) and `default_expiry_days` (what a key
    /// created without an expiry gets), each 1–3650 or `null` for none; the default may not
    /// exceed the maximum (422); and `leak_response`, what a leak report does to a live key:
    /// `disable` (the default) or `roll` (a new secret, no grace). Existing keys keep their expiry until they are changed or
    /// rolled. Sudo mode: the session must have entered its password recently.
    #[server(prefix = "/api", endpoint = "v1/settings.update", input = Json, output = Json)]
    pub async fn update_key_policy(
        max_lifetime_days: Option<u32>,
        default_expiry_days: Option<u32>,
        #[server(default)] leak_response: crate::api::types::LeakResponse,
    ) -> Result<KeyPolicy, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        let wanted = KeyPolicy {
            max_lifetime_days,
            default_expiry_days,
            leak_response,
            ..Default::default()
        };
        Ok(state.keys.set_policy(&caller.actor(), &wanted).await?)
    }
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyItem};

crate::api_fn! {
    need: Admin,
    errors: [NotFound],
    /// Reports a key leaked, as a secret-scanning partner would: the key is disabled at once
    /// (or, if the key policy's `leak_response` is `roll` and the key is live and its secret can
    /// be revealed, given a new secret with no grace), a previous secret still in its grace
    /// stops, and a disabled key shows where it was found (`url`, optional: a URL or a few
    /// words) until it gets a new secret; it cannot be enabled before. Audited as `key.leaked`.
    #[server(prefix = "/api", endpoint = "v1/keys.report_leaked", input = Json, output = Json)]
    pub async fn report_key_leaked(
        id: String,
        #[server(default)] url: Option<String>,
    ) -> Result<KeyItem, ApiError> {
        use crate::server::keys::leaks::{Sighting, MAX_LEAK_URL};
        let (state, caller) = crate::server::request()?;
        let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        if url.as_ref().is_some_and(|u| u.chars().count() > MAX_LEAK_URL || u.chars().any(char::is_control)) {
            return Err(ApiError::validation(
                "url",
                format!("Where it was found: at most {MAX_LEAK_URL} printable characters."),
            ));
        }
        let model = state
            .keys
            .report_leak(
                &caller.actor(),
                &id,
                None,
                Sighting {
                    url: url.as_deref(),
                    source: "admin",
                },
            )
            .await?;
        Ok(super::item(&state, &caller, &model))
    }
}

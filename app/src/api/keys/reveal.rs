use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::RevealedSecret};

crate::api_fn! {
    need: Admin,
    errors: [NotFound, NotRecoverable, ReauthRequired],
    /// Decrypts a recoverable key's secret. Human admins only (never an API key); audited.
    ///
    /// Sudo mode: the session must have entered its password recently (else 403
    /// `reauth_required`; see `auth.confirm_password`).
    #[server(prefix = "/api", endpoint = "v1/keys.reveal", input = Json, output = Json)]
    pub async fn reveal_key(id: String) -> Result<RevealedSecret, ApiError> {
        let (state, caller) = crate::server::request()?;
        caller.require_admin()?;
        state.require_recent_password(&caller)?;
        let secret = state.keys.reveal(&caller.actor(), &id).await?;
        crate::server::no_store();
        Ok(RevealedSecret {
            secret: secret.into_string(),
        })
    }
}

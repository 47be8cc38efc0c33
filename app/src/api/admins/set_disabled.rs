use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::AdminItem};

crate::api_fn! {
    need: Admin,
    errors: [NotFound, ReauthRequired],
    /// Disables (ending their sessions) or re-enables an admin. Sudo mode: the session must have
    /// entered its password recently, else 403 `reauth_required`.
    #[server(prefix = "/api", endpoint = "v1/admins.set_disabled", input = Json, output = Json)]
    pub async fn set_admin_disabled(id: String, disabled: bool) -> Result<AdminItem, ApiError> {
        let (state, caller) = crate::server::request()?;
        let admin = caller.require_admin()?;
        state.require_recent_password(&caller)?;
        let user = state
            .accounts
            .set_disabled(&caller.actor(), &id, disabled)
            .await?;
        Ok(crate::server::wire::to_admin_item(&user, &admin.user_id))
    }
}

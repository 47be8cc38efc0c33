use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{AdminItem, Role},
};

crate::api_fn! {
    need: Admin,
    errors: [NotFound, ReauthRequired],
    /// Gives an account the `admin` or the `viewer` role; it applies from the account's next
    /// request. The last enabled admin cannot become a viewer (403). Sudo mode: the session must
    /// have entered its password recently, else 403 `reauth_required`.
    #[server(prefix = "/api", endpoint = "v1/admins.set_role", input = Json, output = Json)]
    pub async fn set_admin_role(id: String, role: Role) -> Result<AdminItem, ApiError> {
        let (state, caller) = crate::server::request()?;
        let admin = caller.require_admin()?;
        state.require_recent_password(&caller)?;
        let user = state.accounts.set_role(&caller.actor(), &id, role).await?;
        Ok(crate::server::wire::to_admin_item(&user, &admin.user_id))
    }
}

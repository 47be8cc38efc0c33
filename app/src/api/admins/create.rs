use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{AdminItem, Role},
};

crate::api_fn! {
    need: Admin,
    errors: [ReauthRequired],
    /// Adds an admin account: `role` is `admin` (the default: everything) or `viewer` (sees the
    /// pages and the audit log, changes nothing). Sudo mode: the session must have entered its password recently (an admin
    /// made by a stolen cookie could otherwise sign in and do everything), else 403
    /// `reauth_required`.
    #[server(prefix = "/api", endpoint = "v1/admins.create", input = Json, output = Json)]
    pub async fn create_admin(
        email: String,
        name: String,
        password: String,
        #[server(default)] role: Role,
    ) -> Result<AdminItem, ApiError> {
        use crate::server::accounts::NewAdmin;
        let (state, caller) = crate::server::request()?;
        let admin = caller.require_admin()?;
        state.require_recent_password(&caller)?;
        let user = state
            .accounts
            .create_admin(
                &caller.actor(),
                NewAdmin {
                    email: &email,
                    name: &name,
                    password: &password,
                    role,
                },
            )
            .await?;
        Ok(crate::server::wire::to_admin_item(&user, &admin.user_id))
    }
}

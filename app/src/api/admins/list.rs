use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::AdminItem};

crate::api_fn! {
    need: Session,
    #[server(prefix = "/api", endpoint = "v1/admins.list", input = Json, output = Json)]
    pub async fn list_admins() -> Result<Vec<AdminItem>, ApiError> {
        let (state, caller) = crate::server::request()?;
        let admin = caller.require_session()?;
        let users = state.accounts.list().await?;
        Ok(users
            .iter()
            .map(|u| crate::server::wire::to_admin_item(u, &admin.user_id))
            .collect())
    }
}

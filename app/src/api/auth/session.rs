use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::SessionState};

crate::api_fn! {
    need: Public,
    /// The signed-in admin, if any, and whether first-run setup is still open. Public: the SPA
    /// asks this first, and it tells an anonymous caller nothing beyond `needs_setup`.
    #[server(prefix = "/api", endpoint = "v1/auth.session", input = Json, output = Json)]
    pub async fn session_info() -> Result<SessionState, ApiError> {
        use crate::server::{caller::Principal, wire::admin_signed_in};
        let (state, caller) = crate::server::request()?;
        let user = match &*caller.principal {
            Principal::Admin(admin) => Some(admin_signed_in(admin)),
            _ => None,
        };
        let needs_setup = user.is_none() && state.accounts.needs_setup().await?;
        Ok(SessionState { user, needs_setup })
    }
}

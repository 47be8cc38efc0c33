use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Session,
    /// Ends the current session and clears its cookie.
    #[server(prefix = "/api", endpoint = "v1/auth.logout", input = Json, output = Json)]
    pub async fn logout() -> Result<(), ApiError> {
        use crate::server::{accounts::sessions, request, set_cookie};
        let (state, caller) = request()?;
        let admin = caller.require_session()?;
        state
            .accounts
            .logout(&caller.actor(), &admin.session_hash)
            .await?;
        set_cookie(&sessions::clear_cookie(state.settings.secure_cookies));
        Ok(())
    }
}

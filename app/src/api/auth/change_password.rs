use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Session,
    /// Changes the signed-in admin's password; every other session of theirs ends.
    #[server(prefix = "/api", endpoint = "v1/auth.change_password", input = Json, output = Json)]
    pub async fn change_password(
        current_password: String,
        new_password: String,
    ) -> Result<(), ApiError> {
        use crate::server::{request, start_session};
        let (state, caller) = request()?;
        let admin = caller.require_session()?;
        let token = state
            .accounts
            .change_password(
                &admin.user_id,
                &current_password,
                &new_password,
                caller.ip.as_deref(),
                caller.user_agent.as_deref(),
            )
            .await?;
        start_session(&state, &token);
        Ok(())
    }
}

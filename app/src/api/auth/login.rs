use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::SignedIn};

crate::api_fn! {
    need: Public,
    errors: [InvalidCredentials],
    /// Signs in with email and password and sets the session cookie. Public.
    #[server(prefix = "/api", endpoint = "v1/auth.login", input = Json, output = Json)]
    pub async fn login(email: String, password: String) -> Result<SignedIn, ApiError> {
        use crate::server::{request, start_session};
        let (state, caller) = request()?;
        let ip = caller.ip.clone().unwrap_or_else(|| "unknown".into());
        let (token, user) = state
            .accounts
            .login(&email, &password, &ip, caller.user_agent.as_deref())
            .await?;
        start_session(&state, &token);
        Ok(crate::server::wire::to_signed_in(&user))
    }
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::SignedIn};

crate::api_fn! {
    need: Public,
    errors: [AlreadySetUp],
    /// Creates the first admin and signs them in. Public, and refused once any admin exists.
    #[server(prefix = "/api", endpoint = "v1/auth.setup", input = Json, output = Json)]
    pub async fn setup(email: String, name: String, password: String) -> Result<SignedIn, ApiError> {
        use crate::server::{accounts::NewAdmin, request, start_session};
        let (state, caller) = request()?;
        let user = state
            .accounts
            .setup(
                NewAdmin {
                    email: &email,
                    name: &name,
                    password: &password,
                    role: Default::default(),
                },
                caller.ip.as_deref(),
            )
            .await?;
        let ip = caller.ip.clone().unwrap_or_else(|| "unknown".into());
        let (token, user) = state
            .accounts
            .login(&user.email, &password, &ip, caller.user_agent.as_deref())
            .await?;
        start_session(&state, &token);
        Ok(crate::server::wire::to_signed_in(&user))
    }
}

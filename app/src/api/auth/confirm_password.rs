use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Session,
    /// Sudo mode: the signed-in admin enters their password again.
    ///
    /// For the sudo window (`--reauth-window-secs`) the session may do what sudo mode guards
    /// (see docs/api.md); after that those answer 403 `reauth_required` until the password is
    /// confirmed again. Throttled like a login; a wrong password is a 422 on
    /// `password`. Admin sessions only.
    #[server(prefix = "/api", endpoint = "v1/auth.confirm_password", input = Json, output = Json)]
    pub async fn confirm_password(password: String) -> Result<(), ApiError> {
        let (state, caller) = crate::server::request()?;
        let admin = caller.require_session()?;
        let ip = caller.ip.clone().unwrap_or_else(|| "unknown".into());
        state
            .accounts
            .confirm_password(&admin.user_id, &admin.session_hash, &password, &ip)
            .await?;
        Ok(())
    }
}

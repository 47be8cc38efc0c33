use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyPolicy};

crate::api_fn! {
    need: Session,
    /// The key policy: the longest a key may live and the expiry keys get when none is chosen
    /// (`null`: none). Admin sessions, viewers too.
    #[server(prefix = "/api", endpoint = "v1/settings.get", input = Json, output = Json)]
    pub async fn get_settings() -> Result<KeyPolicy, ApiError> {
        let (state, _) = crate::server::request()?;
        Ok(crate::server::keys::policy::load(&state.db).await?.to_wire())
    }
}

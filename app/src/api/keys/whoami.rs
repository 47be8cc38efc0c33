use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::WhoAmI};

crate::api_fn! {
    need: Key,
    get: true,
    /// Which key is calling: an integration's "test connection". API keys only; GET or POST.
    #[server(prefix = "/api", endpoint = "v1/whoami", input = Json, output = Json)]
    pub async fn whoami() -> Result<WhoAmI, ApiError> {
        use crate::server::clock::from_ms;
        let (_, caller) = crate::server::request()?;
        let key = caller.require_key()?;
        Ok(WhoAmI {
            key_id: key.key_id.clone(),
            name: key.name.clone(),
            project: key.project.clone(),
            scopes: key.scopes.clone(),
            expires_at: key.expires_at.map(from_ms),
        })
    }
}

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

crate::api_fn! {
    need: Scope(KeysWrite),
    errors: [NotFound, ReauthRequired],
    /// Deletes up to 500 keys atomically: one unknown id (or one key outside a calling key's rights)
    /// and nothing is deleted. With `cascade`, the keys they created go too. Answers the count.
    ///
    /// An admin session must have entered its password recently (sudo mode, else 403
    /// `reauth_required`).
    #[server(prefix = "/api", endpoint = "v1/keys.bulk_delete", input = Json, output = Json)]
    pub async fn bulk_delete_keys(
        ids: Vec<String>,
        #[server(default)] cascade: bool,
    ) -> Result<u64, ApiError> {
        let (state, caller) = crate::server::request()?;
        state.require_recent_password(&caller)?;
        Ok(state
            .keys
            .bulk_delete(&caller.actor(), &ids, cascade)
            .await?)
    }
}

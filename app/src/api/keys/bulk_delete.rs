use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::error::ApiError;

/// Deletes up to 500 keys atomically: one unknown id (or one key outside a calling key's rights)
/// and nothing is deleted. With `cascade`, the keys they created go too. Answers the count.
#[server(prefix = "/api", endpoint = "v1/keys.bulk_delete", input = Json, output = Json)]
pub async fn bulk_delete_keys(
    ids: Vec<String>,
    #[server(default)] cascade: bool,
) -> Result<u64, ApiError> {
    use crate::api::types::Scope;
    let (state, caller) = crate::server::request()?;
    caller.require_scope(Scope::KeysWrite)?;
    Ok(state
        .keys
        .bulk_delete(&caller.actor(), &ids, cascade)
        .await?)
}

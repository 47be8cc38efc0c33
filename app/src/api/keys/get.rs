use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::KeyItem};

crate::api_fn! {
    need: Scope(KeysRead),
    errors: [NotFound],
    #[server(prefix = "/api", endpoint = "v1/keys.get", input = Json, output = Json)]
    pub async fn get_key(id: String) -> Result<KeyItem, ApiError> {
        let (state, caller) = crate::server::request()?;
        let model = state.keys.get(&id).await?;
        let mut item = super::item(&state, &caller, &model);
        item.created_keys = Some(state.keys.descendant_count(&model.id).await?);
        Ok(item)
    }
}

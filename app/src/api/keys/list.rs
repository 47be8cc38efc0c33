use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{
    error::ApiError,
    types::{KeyFilter, KeyPage, SortField, SortOrder},
};

crate::api_fn! {
    need: Scope(KeysRead),
    /// Lists keys: search by name or creator (API keys search names only), filter, sort and page
    /// (1-based). About keys outside its rights, an API key sees no last-used address or user
    /// agent and no admin's name.
    #[server(prefix = "/api", endpoint = "v1/keys.list", input = Json, output = Json)]
    pub async fn list_keys(
        query: Option<String>,
        page: Option<u64>,
        page_size: Option<u64>,
        sort: Option<SortField>,
        order: Option<SortOrder>,
        filter: Option<KeyFilter>,
    ) -> Result<KeyPage, ApiError> {
        use crate::{server::keys::list::ListParams};
        let (state, caller) = crate::server::request()?;
        let page = state
            .keys
            .list(ListParams {
                query,
                page,
                page_size,
                sort,
                order,
                filter,
                name_only: caller.is_key(),
            })
            .await?;
        Ok(KeyPage {
            items: page
                .rows
                .iter()
                .map(|m| super::item(&state, &caller, m))
                .collect(),
            total: page.total,
            total_is_estimate: page.total_is_estimate,
            page: page.page,
            page_size: page.page_size,
        })
    }
}

use sea_orm::entity::prelude::*;

use crate::api::types::{ActorKind, Scope};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub project: Option<String>,
    pub search_text: String,
    pub name_lower: String,
    pub start: String,
    pub last4: String,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub secret_ciphertext: Option<Vec<u8>>,
    pub secret_nonce: Option<Vec<u8>>,
    pub master_key_id: Option<String>,
    pub recoverable: bool,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_at: i64,
    pub created_by_kind: ActorKind,
    pub created_by_id: Option<String>,
    pub created_by_label: String,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub disabled_at: Option<i64>,
    pub rolled_at: Option<i64>,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub rate_limit_per_minute: Option<i32>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    pub usage_count: i64,
    /// Space-separated ids of the keys that created this one, transitively, the nearest last.
    pub ancestors: String,
    /// Space-separated CIDR ranges the key may be used from (`keys::allowlist`); empty for
    /// anywhere.
    pub allowed_cidrs: String,
    /// When the key was reported leaked, and where it was found.
    pub leaked_at: Option<i64>,
    pub leaked_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The `scopes` column: scope names separated by spaces.
pub fn scopes_from_column(column: &str) -> Vec<Scope> {
    column.split_whitespace().filter_map(Scope::parse).collect()
}

pub fn scopes_to_column(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

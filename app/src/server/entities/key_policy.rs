use sea_orm::entity::prelude::*;

/// The key policy (one row, `id` 1; see `keys::policy`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub max_lifetime_days: Option<i32>,
    pub default_expiry_days: Option<i32>,
    /// [`LeakResponse`](crate::api::types::LeakResponse), by its name.
    pub leak_response: String,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub email: String,
    #[sea_orm(unique)]
    pub email_lower: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub disabled_at: Option<i64>,
    pub password_changed_at: i64,
    /// [`Role`](crate::api::types::Role), by its name.
    pub role: String,
}

impl Model {
    /// The account's role; a name this build does not know grants the least.
    pub fn role(&self) -> crate::api::types::Role {
        self.role.parse().unwrap_or(crate::api::types::Role::Viewer)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

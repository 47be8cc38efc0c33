use sea_orm::entity::prelude::*;

/// One attempt to deliver a message, as the deliveries log shows it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub delivery_id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub attempt: i32,
    pub at: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub response: String,
    pub error: Option<String>,
    pub succeeded: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// One message to one endpoint: pending until an attempt succeeds or the retries run out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub message_id: String,
    pub endpoint_id: String,
    /// [`DeliveryStatus`](crate::api::webhooks::types::DeliveryStatus), by its name.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub lease: Option<String>,
    pub leased_until: Option<i64>,
    pub last_status_code: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

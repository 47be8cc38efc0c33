use sea_orm::entity::prelude::*;

use crate::api::types::{ActorKind, AuditAction};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub at: i64,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: AuditAction,
    pub key_id: Option<String>,
    pub key_name: Option<String>,
    pub ip: Option<String>,
    /// JSON object.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

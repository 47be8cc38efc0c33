//! The audit trail: one row per mutation, kept after the key it names is deleted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(string("id").primary_key())
                    .col(big_integer("at"))
                    .col(string("actor_kind"))
                    .col(string_null("actor_id"))
                    .col(string("actor_label"))
                    .col(string("action"))
                    .col(string_null("key_id"))
                    .col(string_null("key_name"))
                    .col(string_null("ip"))
                    .col(text("detail"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_key_id_at_idx")
                    .table("audit_events")
                    .col("key_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_events").to_owned())
            .await
    }
}

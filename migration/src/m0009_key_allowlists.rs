//! Per-key IP allowlists: CIDR ranges, space-separated; empty (every existing key) for anywhere.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .add_column(text("allowed_cidrs").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .drop_column("allowed_cidrs")
                    .to_owned(),
            )
            .await
    }
}

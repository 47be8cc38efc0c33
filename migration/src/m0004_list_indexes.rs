//! Indexes for listing keys: each sort order with the search text alongside, so a search scans
//! an index in the requested order (no table lookups until a row matches), and the search text
//! alone, the narrowest index to count matches on.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REPLACED: [&str; 3] = ["created_at", "last_used_at", "name_lower"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in REPLACED {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("api_keys_{col}_idx"))
                        .table("api_keys")
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("api_keys_{col}_search_idx"))
                        .table("api_keys")
                        .col(col)
                        .col("id")
                        .col("search_text")
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("api_keys_search_text_idx")
                    .table("api_keys")
                    .col("search_text")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("api_keys_search_text_idx")
                    .table("api_keys")
                    .to_owned(),
            )
            .await?;
        for col in REPLACED {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("api_keys_{col}_search_idx"))
                        .table("api_keys")
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("api_keys_{col}_idx"))
                        .table("api_keys")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

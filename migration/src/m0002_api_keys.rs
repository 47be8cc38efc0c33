//! API keys (hashed for lookup, encrypted for reveal) and their daily usage counts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(string("id").primary_key())
                    .col(string("name"))
                    .col(string_null("project"))
                    // Lower-cased in Rust (Unicode-aware, unlike SQLite's lower()): name, a newline,
                    // then the creator label, so one LIKE serves "name or creator" search.
                    .col(string("search_text"))
                    .col(string("name_lower"))
                    .col(string("start"))
                    .col(string("last4"))
                    .col(string_uniq("secret_hash"))
                    .col(blob_null("secret_ciphertext"))
                    .col(blob_null("secret_nonce"))
                    .col(string_null("master_key_id"))
                    .col(boolean("recoverable"))
                    .col(string("scopes"))
                    .col(big_integer("created_at"))
                    .col(string("created_by_kind"))
                    .col(string_null("created_by_id"))
                    .col(string("created_by_label"))
                    .col(big_integer("updated_at"))
                    .col(big_integer_null("expires_at"))
                    .col(big_integer_null("disabled_at"))
                    .col(big_integer_null("rolled_at"))
                    .col(string_null("previous_secret_hash").unique_key())
                    .col(big_integer_null("previous_secret_expires_at"))
                    .col(integer_null("rate_limit_per_minute"))
                    .col(big_integer_null("last_used_at"))
                    .col(string_null("last_used_ip"))
                    .col(string_null("last_used_user_agent"))
                    .col(big_integer("usage_count").default(0))
                    .to_owned(),
            )
            .await?;
        for col in ["created_at", "last_used_at", "expires_at", "name_lower"] {
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
        manager
            .create_table(
                Table::create()
                    .table("key_usage_daily")
                    .col(string("key_id"))
                    .col(string("day"))
                    .col(big_integer("count"))
                    .primary_key(Index::create().col("key_id").col("day"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("key_usage_daily", "key_id")
                            .to("api_keys", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["key_usage_daily", "api_keys"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

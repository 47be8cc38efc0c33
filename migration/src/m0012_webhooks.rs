//! Webhooks: endpoints (with their sealed signing secrets), the outbox of messages written in
//! the transaction of the change that caused them, one delivery per endpoint and message, the
//! log of every attempt, and the expiry notices already produced (once per key, expiry and
//! threshold, across replicas).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_endpoints")
                    .col(string("id").primary_key())
                    .col(text("url"))
                    .col(text("description"))
                    // Event types, space-separated.
                    .col(text("events"))
                    .col(blob("secret_ciphertext"))
                    .col(blob("secret_nonce"))
                    .col(string("master_key_id"))
                    // After a roll, the previous secret also signs until it expires (24 h).
                    .col(blob_null("previous_secret_ciphertext"))
                    .col(blob_null("previous_secret_nonce"))
                    .col(string_null("previous_master_key_id"))
                    .col(big_integer_null("previous_secret_expires_at"))
                    .col(big_integer_null("disabled_at"))
                    .col(text_null("disabled_reason"))
                    // The first failed attempt since the last success.
                    .col(big_integer_null("failing_since"))
                    .col(big_integer("created_at"))
                    .col(string("created_by"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_messages")
                    .col(string("id").primary_key())
                    .col(string("event_type"))
                    .col(string_null("key_id"))
                    // The exact body every attempt sends (and signs).
                    .col(text("payload"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_messages_created_at_idx")
                    .table("webhook_messages")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(string("id").primary_key())
                    .col(string("message_id"))
                    .col(string("endpoint_id"))
                    // pending | succeeded | failed
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_at"))
                    // A worker's claim: no other worker sends this delivery until it lapses.
                    .col(string_null("lease"))
                    .col(big_integer_null("leased_until"))
                    .col(integer_null("last_status_code"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_deliveries", "message_id")
                            .to("webhook_messages", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_deliveries", "endpoint_id")
                            .to("webhook_endpoints", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "webhook_deliveries_due_idx",
                &["status", "next_attempt_at"][..],
            ),
            (
                "webhook_deliveries_endpoint_idx",
                &["endpoint_id", "created_at"][..],
            ),
            ("webhook_deliveries_message_idx", &["message_id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("webhook_deliveries");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(string("id").primary_key())
                    .col(string("delivery_id"))
                    .col(string("endpoint_id"))
                    .col(string("message_id"))
                    .col(integer("attempt"))
                    .col(big_integer("at"))
                    .col(integer_null("status_code"))
                    .col(big_integer("duration_ms"))
                    // The response body's first 1 KB.
                    .col(text("response"))
                    .col(text_null("error"))
                    .col(boolean("succeeded"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_attempts", "delivery_id")
                            .to("webhook_deliveries", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("webhook_attempts_endpoint_idx", &["endpoint_id", "at"][..]),
            ("webhook_attempts_delivery_idx", &["delivery_id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("webhook_attempts");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("key_expiry_notices")
                    .col(string("key_id"))
                    // `7d`, `1d` or `expired`.
                    .col(string("threshold"))
                    .col(big_integer("expires_at"))
                    .col(big_integer("created_at"))
                    .primary_key(
                        Index::create()
                            .col("key_id")
                            .col("threshold")
                            .col("expires_at"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("key_expiry_notices", "key_id")
                            .to("api_keys", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The expiry scan reads keys by expiry.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("api_keys_expires_at_scan_idx")
                    .table("api_keys")
                    .col("expires_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("api_keys_expires_at_scan_idx")
                    .table("api_keys")
                    .to_owned(),
            )
            .await?;
        for table in [
            "key_expiry_notices",
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_messages",
            "webhook_endpoints",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

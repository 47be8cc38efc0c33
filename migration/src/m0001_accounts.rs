//! Admin users, their login sessions and the login-attempt log used for throttling.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(string("id").primary_key())
                    .col(string("email"))
                    .col(string_uniq("email_lower"))
                    .col(string("name"))
                    .col(string("password_hash"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("last_login_at"))
                    .col(big_integer_null("disabled_at"))
                    .col(big_integer("password_changed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string("token_hash").primary_key())
                    .col(string("user_id"))
                    .col(big_integer("created_at"))
                    .col(big_integer("last_seen_at"))
                    .col(string_null("ip"))
                    .col(string_null("user_agent"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("sessions", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_user_id_idx")
                    .table("sessions")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_attempts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("at"))
                    .col(string("email_lower"))
                    .col(string("ip"))
                    .col(boolean("succeeded"))
                    .to_owned(),
            )
            .await?;
        for col in ["email_lower", "ip"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("login_attempts_{col}_at_idx"))
                        .table("login_attempts")
                        .col(col)
                        .col("at")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["login_attempts", "sessions", "users"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

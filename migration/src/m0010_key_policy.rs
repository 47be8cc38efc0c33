//! The key policy: the longest a key may live, the expiry keys get when none is chosen, and
//! what a leak report does to a live key (`disable` or `roll`). One row (`id` 1) once an admin
//! sets it; no row means no limits and `disable`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("key_policy")
                    .col(integer("id").primary_key())
                    .col(integer_null("max_lifetime_days"))
                    .col(integer_null("default_expiry_days"))
                    .col(string("leak_response").default("disable"))
                    .col(big_integer("updated_at"))
                    .col(string("updated_by"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("key_policy").to_owned())
            .await
    }
}

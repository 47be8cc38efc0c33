//! A key's ancestry (the keys that created it, so a cascade reaches every descendant even after
//! a key in between is deleted), indexes for cascades, the admin audit log and login-attempt
//! pruning, and the vault's record of its master key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 3] = [
    ("api_keys_created_by_id_idx", "api_keys", &["created_by_id"]),
    ("audit_events_at_idx", "audit_events", &["at", "id"]),
    ("login_attempts_at_idx", "login_attempts", &["at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    // Space-separated ids of the keys above this one, the nearest last; empty
                    // for keys an admin created.
                    .add_column(string("ancestors").default(""))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols) in INDEXES {
            let mut index = Index::create().name(name).table(table).to_owned();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("vault_meta")
                    .col(string("name").primary_key())
                    .col(string("value"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("vault_meta").to_owned())
            .await?;
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .drop_column("ancestors")
                    .to_owned(),
            )
            .await
    }
}

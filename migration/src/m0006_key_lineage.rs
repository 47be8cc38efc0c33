//! A key's ancestry (the keys that created it, so a cascade reaches every descendant even after
//! a key in between is deleted), indexes for cascades, the admin audit log and login-attempt
//! pruning, and the vault's record of its master key.

use std::collections::HashMap;

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};

/// How deep a backfilled line may go (as new keys are held to).
const MAX_DEPTH: usize = 16;

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
        backfill_ancestors(manager).await?;
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

/// Gives keys created by keys before this migration their line of creators, from the creator
/// links as they stand (a deleted creator still counts as one, its own creators are unknown).
async fn backfill_ancestors(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, created_by_id FROM api_keys WHERE created_by_kind = 'key' AND created_by_id IS NOT NULL",
        ))
        .await?;
    let mut parent: HashMap<String, String> = HashMap::new();
    for row in rows {
        parent.insert(row.try_get("", "id")?, row.try_get("", "created_by_id")?);
    }
    let update = match backend {
        DbBackend::Postgres => "UPDATE api_keys SET ancestors = $1 WHERE id = $2",
        _ => "UPDATE api_keys SET ancestors = ? WHERE id = ?",
    };
    for id in parent.keys() {
        let mut line = Vec::new();
        let mut at = parent.get(id);
        while let Some(p) = at.filter(|_| line.len() < MAX_DEPTH) {
            if line.contains(&p.as_str()) || p == id {
                break;
            }
            line.push(p.as_str());
            at = parent.get(p);
        }
        line.reverse();
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            [line.join(" ").into(), id.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

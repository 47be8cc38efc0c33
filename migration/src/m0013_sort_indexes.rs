//! Sorting a million keys by expiry or by last use from an index, as the other sort orders
//! already are (m0004): each index leads with the sort column in the order the list asks for,
//! nulls included, then `id` (the tie-break) and the search text (searched while walking).
//!
//! - Expiry gets the `(expires_at, id, search_text)` index the others have.
//! - PostgreSQL sorts NULL last by default, but the list puts never-used keys first when
//!   ascending (last when descending): its last-used index says `NULLS FIRST`, so both
//!   directions walk it. SQLite sorts NULL first already.
//! - PostgreSQL estimates a large list's total from its statistics (`keys.list`'s
//!   `total_is_estimate`); a substring search is estimated against the search text's
//!   histogram, which gets ten times the default number of entries for a finer estimate.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

// New indexes are built before old ones are dropped: a DROP INDEX locks the table until the
// migration commits, so it comes last, after the slow builds.
const UP: &[&str] = &[
    "CREATE INDEX api_keys_expires_at_search_idx ON api_keys (expires_at, id, search_text)",
    "DROP INDEX api_keys_expires_at_idx",
];
const DOWN: &[&str] = &[
    "CREATE INDEX api_keys_expires_at_idx ON api_keys (expires_at)",
    "DROP INDEX api_keys_expires_at_search_idx",
];
const POSTGRES_UP: &[&str] = &[
    "CREATE INDEX api_keys_last_used_at_nulls_first_idx ON api_keys (last_used_at NULLS FIRST, id, search_text)",
    "DROP INDEX api_keys_last_used_at_search_idx",
    "ALTER TABLE api_keys ALTER COLUMN search_text SET STATISTICS 1000",
];
const POSTGRES_DOWN: &[&str] = &[
    "ALTER TABLE api_keys ALTER COLUMN search_text SET STATISTICS -1",
    "CREATE INDEX api_keys_last_used_at_search_idx ON api_keys (last_used_at, id, search_text)",
    "DROP INDEX api_keys_last_used_at_nulls_first_idx",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN, POSTGRES_DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, both: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let postgres = if db.get_database_backend() == DbBackend::Postgres {
        postgres
    } else {
        &[]
    };
    for sql in both.iter().chain(postgres) {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

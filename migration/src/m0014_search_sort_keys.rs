//! SQLite: the search index's id map (`api_keys_fts_ids`, m0005) also holds each key's sort
//! keys, filter columns and search text, kept in step by triggers. A search with tens of
//! thousands of matches then tests and sorts them from the index's own narrow rows (one
//! integer-key step per match), instead of looking each key up by its text id in `api_keys`
//! (about ten times the cost), so that matches bunched at the far end of a sort order cost what
//! their number costs, not what walking past every other key would.
//!
//! The copied columns are what `keys::list` filters and sorts searches by: a new filter or sort
//! column needs a migration that copies it too, and a rebuild of `api_keys` must re-create the
//! triggers.
//!
//! PostgreSQL has no such map (pg_trgm indexes `api_keys` itself): nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE api_keys_fts_ids ADD COLUMN name_lower TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE api_keys_fts_ids ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE api_keys_fts_ids ADD COLUMN last_used_at INTEGER",
    "ALTER TABLE api_keys_fts_ids ADD COLUMN expires_at INTEGER",
    "ALTER TABLE api_keys_fts_ids ADD COLUMN disabled_at INTEGER",
    "ALTER TABLE api_keys_fts_ids ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    "UPDATE api_keys_fts_ids SET name_lower = k.name_lower, created_at = k.created_at,
        last_used_at = k.last_used_at, expires_at = k.expires_at, disabled_at = k.disabled_at,
        search_text = k.search_text FROM api_keys k WHERE k.id = api_keys_fts_ids.key_id",
    "DROP TRIGGER api_keys_fts_insert",
    "CREATE TRIGGER api_keys_fts_insert AFTER INSERT ON api_keys BEGIN
        INSERT INTO api_keys_fts_ids (key_id, name_lower, created_at, last_used_at, expires_at,
                disabled_at, search_text)
            VALUES (new.id, new.name_lower, new.created_at, new.last_used_at, new.expires_at,
                new.disabled_at, new.search_text);
        INSERT INTO api_keys_fts (rowid, search_text) VALUES (last_insert_rowid(), new.search_text);
    END",
    "CREATE TRIGGER api_keys_fts_sort_keys AFTER UPDATE OF name_lower, created_at, last_used_at,
        expires_at, disabled_at, search_text ON api_keys BEGIN
        UPDATE api_keys_fts_ids SET name_lower = new.name_lower, created_at = new.created_at,
            last_used_at = new.last_used_at, expires_at = new.expires_at,
            disabled_at = new.disabled_at, search_text = new.search_text
            WHERE key_id = new.id;
    END",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER api_keys_fts_sort_keys",
    "DROP TRIGGER api_keys_fts_insert",
    crate::m0005_search_index::INSERT_TRIGGER,
    "ALTER TABLE api_keys_fts_ids DROP COLUMN search_text",
    "ALTER TABLE api_keys_fts_ids DROP COLUMN disabled_at",
    "ALTER TABLE api_keys_fts_ids DROP COLUMN expires_at",
    "ALTER TABLE api_keys_fts_ids DROP COLUMN last_used_at",
    "ALTER TABLE api_keys_fts_ids DROP COLUMN created_at",
    "ALTER TABLE api_keys_fts_ids DROP COLUMN name_lower",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // All or nothing: a crash during the backfill must not leave the columns added and the
    // migration unrecorded, nor a moment without the insert trigger.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() == DbBackend::Sqlite {
        for sql in sqlite {
            db.execute_unprepared(sql).await?;
        }
    }
    Ok(())
}

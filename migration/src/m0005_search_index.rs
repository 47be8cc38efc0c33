//! A substring index for searching keys by name or creator.
//!
//! SQLite: an FTS5 trigram index over `api_keys.search_text`, kept in step by triggers. Its
//! rows are keyed through `api_keys_fts_ids` (an INTEGER PRIMARY KEY, stable across VACUUM,
//! unlike the rowid of `api_keys`). PostgreSQL: a pg_trgm GIN index when the extension is
//! available (otherwise searches scan, as before).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's insert trigger as this migration made it (m0014's `down` restores it).
pub(crate) const INSERT_TRIGGER: &str =
    "CREATE TRIGGER api_keys_fts_insert AFTER INSERT ON api_keys BEGIN
        INSERT INTO api_keys_fts_ids (key_id) VALUES (new.id);
        INSERT INTO api_keys_fts (rowid, search_text) VALUES (last_insert_rowid(), new.search_text);
    END";

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE api_keys_fts USING fts5(search_text, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')",
    "CREATE TABLE api_keys_fts_ids (rowid INTEGER PRIMARY KEY, key_id TEXT NOT NULL UNIQUE)",
    INSERT_TRIGGER,
    "CREATE TRIGGER api_keys_fts_delete AFTER DELETE ON api_keys BEGIN
        DELETE FROM api_keys_fts WHERE rowid = (SELECT rowid FROM api_keys_fts_ids WHERE key_id = old.id);
        DELETE FROM api_keys_fts_ids WHERE key_id = old.id;
    END",
    "CREATE TRIGGER api_keys_fts_update AFTER UPDATE OF search_text ON api_keys BEGIN
        DELETE FROM api_keys_fts WHERE rowid = (SELECT rowid FROM api_keys_fts_ids WHERE key_id = old.id);
        INSERT INTO api_keys_fts (rowid, search_text)
            SELECT rowid, new.search_text FROM api_keys_fts_ids WHERE key_id = old.id;
    END",
    "INSERT INTO api_keys_fts_ids (key_id) SELECT id FROM api_keys",
    "INSERT INTO api_keys_fts (rowid, search_text)
        SELECT m.rowid, k.search_text FROM api_keys_fts_ids m JOIN api_keys k ON k.id = m.key_id",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS api_keys_fts_update",
    "DROP TRIGGER IF EXISTS api_keys_fts_delete",
    "DROP TRIGGER IF EXISTS api_keys_fts_insert",
    "DROP TABLE IF EXISTS api_keys_fts_ids",
    "DROP TABLE IF EXISTS api_keys_fts",
];

// Creating an extension needs privileges a production role may lack: then skip the index.
const POSTGRES_UP: &str = "DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm not installed: key search will scan';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS api_keys_search_trgm_idx ON api_keys USING gin (search_text gin_trgm_ops);
    END IF;
END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for sql in SQLITE_UP {
                    db.execute_unprepared(sql).await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_UP).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for sql in SQLITE_DOWN {
                    db.execute_unprepared(sql).await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS api_keys_search_trgm_idx")
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

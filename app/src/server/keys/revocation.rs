//! Cross-replica cache invalidation over PostgreSQL LISTEN/NOTIFY.
//!
//! Every key mutation announces the key id inside its transaction (delivered on commit). Each
//! process listens and drops that key from its verification cache. While the listening
//! connection is down, the cache is switched off, so no replica can serve a revoked key.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::server::error::ServiceResult;

use super::cache::KeyCache;

pub const CHANNEL: &str = "ls_key_changes";

pub async fn announce<C: ConnectionTrait>(conn: &C, key_id: &str) -> ServiceResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), key_id.into()],
        ))
        .await?;
    }
    Ok(())
}

/// On PostgreSQL, spawns the listener; the cache stays off until it is subscribed.
pub fn spawn_listener(
    db: &DatabaseConnection,
    cache: Arc<KeyCache>,
) -> Option<tokio::task::JoinHandle<()>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    cache.set_enabled(false);
    let pool = db.get_postgres_connection_pool().clone();
    Some(tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "key-change listener could not subscribe");
                    } else {
                        cache.set_enabled(true);
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => cache.invalidate(n.payload()),
                                // Connection lost: notifications may have been missed.
                                Ok(None) | Err(_) => {
                                    cache.set_enabled(false);
                                    tracing::warn!("key-change listener lost its connection; cache off until it is back");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "key-change listener could not connect"),
            }
            cache.set_enabled(false);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }))
}

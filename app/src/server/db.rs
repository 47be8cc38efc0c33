//! Connecting to SQLite or PostgreSQL (chosen by the URL alone) and applying migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// A pooled SQLite connection idle this long is pinged before it is handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Opens the database. For SQLite: WAL journal, foreign keys on, a busy timeout, and the
/// file's directory created if missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_dir(url) {
            std::fs::create_dir_all(&dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        // A SQLite connection is a file handle that nothing can drop from outside: pinging it on
        // every checkout (sqlx's default) only cost each query a second round trip to its
        // worker thread. PostgreSQL connections keep the ping: one dropped by a restart or a
        // proxy while idle is replaced before a request meets it.
        opts.max_connections(8)
            .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    // Reads of a large key table come from the OS page cache without copying.
                    .pragma("mmap_size", "268435456")
            });
    } else {
        opts.max_connections(16);
    }
    Database::connect(opts).await
}

fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(ToOwned::to_owned)
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing
/// when a read lock cannot be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A write transaction whose decisions must hold against concurrent ones (the first admin,
/// the last active admin): serializable on PostgreSQL; SQLite's write lock already serializes.
pub async fn begin_serializable(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        isolation_level: (db.get_database_backend() == DbBackend::Postgres)
            .then_some(IsolationLevel::Serializable),
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Whether a serializable transaction lost to a concurrent one (PostgreSQL SQLSTATE 40001, or
/// a deadlock, 40P01):
/// running it again decides against what the other committed.
pub fn is_serialization_failure(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let sqlx_error = match e {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    // Serialization failure, or a deadlock (also resolved by running again).
    matches!(
        sqlx_error
            .as_database_error()
            .and_then(|d| d.code())
            .as_deref(),
        Some("40001" | "40P01")
    )
}

/// Runs a serializable transaction's `attempt`, again while it loses to a concurrent one (five
/// tries in all), after a short random pause so that two that keep colliding drift apart.
pub async fn serializably<T, F, Fut>(mut attempt: F) -> super::error::ServiceResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = super::error::ServiceResult<T>>,
{
    for tries in 1u64.. {
        match attempt().await {
            Err(super::error::ServiceError::Db(e)) if tries < 5 && is_serialization_failure(&e) => {
                tracing::debug!(
                    tries,
                    "serializable transaction lost to a concurrent one: retrying"
                );
                let pause = rand::random_range(1..=10 * tries);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
    unreachable!("the loop returns by its fifth try")
}

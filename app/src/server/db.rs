//! Connecting to SQLite or PostgreSQL (chosen by the URL alone) and applying migrations.

use std::{
    collections::HashMap,
    ops::Deref,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, LazyLock, Mutex,
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, IsolationLevel, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A pooled SQLite connection idle this long is pinged before it is handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);
/// Pooled connections to a SQLite database (at most one of them writes at a time).
pub const SQLITE_CONNECTIONS: u32 = 8;
/// How long a SQLite write waits for its turn before it fails. SQLite's own busy timeout is the
/// same; with turns, only a writer outside this process (a CLI command) can make it wait.
pub const WRITE_WAIT: Duration = Duration::from_secs(5);

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
        opts.max_connections(SQLITE_CONNECTIONS)
            .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(WRITE_WAIT)
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

/// Applies the pending migrations: on SQLite over one connection of their own (see
/// [`schema_connection`]).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let schema = schema_connection(db).await?;
    let migrated = Migrator::up(&schema, None).await;
    if schema.get_database_backend() == DbBackend::Sqlite {
        schema.close().await?;
    }
    migrated
}

/// The connection to change a database's schema through: for SQLite, a pool of one connection
/// to the same file, opened with the same options; for PostgreSQL, `db` itself.
///
/// SQLite checks a new table's or index's name against the schema a connection has cached,
/// and does not look first whether another connection has changed it (it does look before
/// it reports "no such" table or index). Migrations spread over a pool could re-create a name
/// that one connection dropped on another that still holds it: "index … already exists".
pub async fn schema_connection(db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(db.clone());
    }
    let options = (*db.get_sqlite_connection_pool().connect_options()).clone();
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Starts a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing when a read lock cannot
/// be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    WriteTxn::begin(db, write_options()).await
}

fn write_options() -> TransactionOptions {
    TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

/// A write transaction whose decisions must hold against concurrent ones (the first admin,
/// the last active admin): serializable on PostgreSQL; SQLite's write lock already serializes.
pub async fn begin_serializable(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    WriteTxn::begin(
        db,
        TransactionOptions {
            isolation_level: (db.get_database_backend() == DbBackend::Postgres)
                .then_some(IsolationLevel::Serializable),
            ..write_options()
        },
    )
    .await
}

/// A write transaction. On SQLite it holds its database's write turn until it ends.
///
/// SQLite has one write lock per database. Writers that wait for it in `BEGIN IMMEDIATE` each
/// hold a pooled connection while they wait, so a burst of writes used to take every
/// connection and make reads queue behind them. Writers now wait for their turn (a semaphore
/// of one per database file) holding no connection, and only the writer whose turn it is takes
/// one: reads always find a connection. PostgreSQL writers lock rows, not the database, and
/// take no turn. Every write the server makes while it serves goes through here, single
/// statements included. A writer must not start another while it holds one: on SQLite the
/// second would wait for a turn the first holds, and fail after [`WRITE_WAIT`].
pub struct WriteTxn {
    // Declared first, so dropped first: an abandoned transaction starts its rollback before
    // the next writer's turn.
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

/// The write turn of one SQLite database file, shared by every pool in the process that opens
/// it (replicas in tests; a server opens one).
struct Turn {
    /// One permit: the writer whose turn it is.
    permit: Arc<Semaphore>,
    /// Writers waiting for it now.
    waiting: AtomicUsize,
}

/// The turns, by database file. Entries are a few bytes and live as long as the process.
static WRITE_TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<Turn>>>> = LazyLock::new(Mutex::default);

fn turn_of(db: &DatabaseConnection) -> Arc<Turn> {
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    let mut turns = WRITE_TURNS.lock().expect("write turns lock");
    // Looked up by reference: only a file's first write allocates its entry.
    if let Some(turn) = turns.get(file) {
        return turn.clone();
    }
    let turn = Arc::new(Turn {
        permit: Arc::new(Semaphore::new(1)),
        waiting: AtomicUsize::new(0),
    });
    turns.insert(file.to_owned(), turn.clone());
    turn
}

/// Writes to this SQLite database waiting for their turn now (`ls_db_writes_waiting`); 0 on
/// PostgreSQL.
pub fn writes_waiting(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DbBackend::Sqlite => turn_of(db).waiting.load(Ordering::Relaxed),
        _ => 0,
    }
}

/// A write transaction as [`begin_write`] starts it, but only if it need not wait: `None`
/// while another SQLite write has the turn. For writes a read may skip (a session's
/// last-seen time), so that the read never waits on writes.
pub async fn begin_write_if_free(db: &DatabaseConnection) -> Result<Option<WriteTxn>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return begin_write(db).await.map(Some);
    }
    match turn_of(db).permit.clone().try_acquire_owned() {
        Ok(permit) => WriteTxn::start(db, write_options(), Some(permit))
            .await
            .map(Some),
        Err(_taken) => Ok(None),
    }
}

impl WriteTxn {
    async fn begin(db: &DatabaseConnection, options: TransactionOptions) -> Result<Self, DbErr> {
        let turn = match db.get_database_backend() {
            DbBackend::Sqlite => Some(wait_for_write_turn(db).await?),
            _ => None,
        };
        Self::start(db, options, turn).await
    }

    async fn start(
        db: &DatabaseConnection,
        options: TransactionOptions,
        turn: Option<OwnedSemaphorePermit>,
    ) -> Result<Self, DbErr> {
        let txn = db.begin_with_options(options).await?;
        Ok(Self { txn, _turn: turn })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Waits, holding no connection, until no other writer of this SQLite database is in a
/// transaction: at most [`WRITE_WAIT`], then it fails as SQLite's busy handler would.
async fn wait_for_write_turn(db: &DatabaseConnection) -> Result<OwnedSemaphorePermit, DbErr> {
    struct Waiting(Arc<Turn>);
    impl Drop for Waiting {
        fn drop(&mut self) {
            self.0.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let turn = turn_of(db);
    turn.waiting.fetch_add(1, Ordering::Relaxed);
    let waiting = Waiting(turn);
    match tokio::time::timeout(WRITE_WAIT, waiting.0.permit.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_closed)) => unreachable!("write turns are never closed"),
        Err(_elapsed) => Err(DbErr::Custom(format!(
            "waited {} s for the database's write lock",
            WRITE_WAIT.as_secs()
        ))),
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
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

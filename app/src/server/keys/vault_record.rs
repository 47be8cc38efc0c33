//! The vault's record of its master keys (`vault_meta`): which key seals new secrets, and which
//! keys it has moved on from. It lets a server without the vault's key, or with a key of its
//! own, be refused even before any secret is sealed.

use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};

use crate::server::{
    entities::vault_meta,
    error::{ServiceError, ServiceResult},
    vault::Keyring,
};

/// The entry naming the master key that seals new secrets.
const SEALING_KEY: &str = "master_key_id";
/// The entry listing keys the vault moved on from (space-separated ids).
const RETIRED_KEYS: &str = "retired_master_key_ids";

async fn get<C: ConnectionTrait>(conn: &C, name: &str) -> ServiceResult<Option<String>> {
    Ok(vault_meta::Entity::find_by_id(name)
        .one(conn)
        .await?
        .map(|m| m.value))
}

/// Writes an entry; an existing one is replaced only with `replace`.
async fn put<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    value: &str,
    replace: bool,
) -> ServiceResult<()> {
    let mut on_conflict = OnConflict::column(vault_meta::Column::Name);
    if replace {
        on_conflict.update_column(vault_meta::Column::Value);
    } else {
        on_conflict.do_nothing();
    }
    vault_meta::Entity::insert(vault_meta::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(on_conflict)
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The master key id the database records as sealing new secrets, if any.
pub async fn recorded_key(db: &DatabaseConnection) -> ServiceResult<Option<String>> {
    get(db, SEALING_KEY).await
}

/// Records `id` as the sealing key unless one is recorded already; answers the recorded id (so
/// of two servers creating a key for an empty database at once, exactly one wins).
pub async fn claim_key(db: &DatabaseConnection, id: &str) -> ServiceResult<String> {
    put(db, SEALING_KEY, id, false).await?;
    Ok(recorded_key(db).await?.unwrap_or_else(|| id.to_owned()))
}

/// Records the keyring's primary key as the sealing key: claims an empty record, or moves the
/// record on from a key this keyring still opens (a rotation under way). Fails when the record
/// names a key this keyring does not hold — another server's, on the same vault.
pub async fn adopt_key(db: &DatabaseConnection, keyring: &Keyring) -> ServiceResult<()> {
    let current = keyring.primary_id();
    let recorded = claim_key(db, current).await?;
    if recorded == current {
        return Ok(());
    }
    if !keyring.knows(&recorded) {
        return Err(ServiceError::Internal(format!(
            "the database records master key {recorded}, which is not the configured master key \
             or a previous one: give this server that key file"
        )));
    }
    // A key the vault moved on from is never current again (a server restarted with the old
    // key as current and the new one as previous would otherwise move the record back).
    let retired = get(db, RETIRED_KEYS).await?.unwrap_or_default();
    if retired.split_whitespace().any(|id| id == current) {
        return Err(ServiceError::Internal(format!(
            "master key {current} was replaced by {recorded}: configure {recorded} as the current key"
        )));
    }
    // Compare-and-set: of servers moving the record at once, the record ends on one of them.
    let txn = crate::server::db::begin_write(db).await?;
    let moved = vault_meta::Entity::update_many()
        .col_expr(vault_meta::Column::Value, Expr::value(current))
        .filter(vault_meta::Column::Name.eq(SEALING_KEY))
        .filter(vault_meta::Column::Value.eq(recorded.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 1 {
        let retired = format!("{retired} {recorded}");
        put(&txn, RETIRED_KEYS, retired.trim(), true).await?;
    }
    txn.commit().await?;
    match recorded_key(db).await? {
        Some(now) if now == current => Ok(()),
        other => Err(ServiceError::Internal(format!(
            "another server moved the current master key to {} meanwhile: start again",
            other.unwrap_or_default()
        ))),
    }
}

//! Master-key checks at start-up and re-encryption of every stored secret under a new key.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::server::{
    audit::{self, Actor, Event},
    entities::api_keys,
    error::{ServiceError, ServiceResult},
    vault::Keyring,
};

/// Fails unless every master key id found on a row is loaded and opens a sample row.
pub async fn check_keyring(db: &DatabaseConnection, keyring: &Keyring) -> ServiceResult<()> {
    let ids: Vec<String> = api_keys::Entity::find()
        .select_only()
        .column(api_keys::Column::MasterKeyId)
        .filter(api_keys::Column::MasterKeyId.is_not_null())
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for id in ids {
        if !keyring.knows(&id) {
            return Err(ServiceError::Internal(format!(
                "stored secrets are encrypted with master key {id}, which is not the configured master key"
            )));
        }
        let sample = api_keys::Entity::find()
            .filter(api_keys::Column::MasterKeyId.eq(id.as_str()))
            .one(db)
            .await?;
        if let Some(row) = sample {
            let (Some(ct), Some(nonce)) = (
                row.secret_ciphertext.as_deref(),
                row.secret_nonce.as_deref(),
            ) else {
                continue;
            };
            keyring.open(&row.id, ct, nonce, &id).map_err(|_| {
                ServiceError::Internal(format!(
                    "the configured master key {id} cannot decrypt stored secrets (wrong key or tampered data)"
                ))
            })?;
        }
    }
    Ok(())
}

/// Re-encrypts every recoverable secret not yet under the keyring's primary key, in batches.
/// Rows under an older key stay readable (the keyring knows both) until the end.
pub async fn rewrap_all(
    db: &DatabaseConnection,
    keyring: &Keyring,
    now_ms: i64,
) -> ServiceResult<u64> {
    let primary = keyring.primary_id().to_owned();
    let mut done = 0u64;
    loop {
        let txn = crate::server::db::begin_write(db).await?;
        let batch = api_keys::Entity::find()
            .filter(api_keys::Column::MasterKeyId.is_not_null())
            .filter(api_keys::Column::MasterKeyId.ne(primary.as_str()))
            .order_by_asc(api_keys::Column::Id)
            .limit(200)
            .all(&txn)
            .await?;
        if batch.is_empty() {
            txn.commit().await?;
            break;
        }
        for row in batch {
            let (Some(ct), Some(nonce), Some(kid)) = (
                row.secret_ciphertext.clone(),
                row.secret_nonce.clone(),
                row.master_key_id.clone(),
            ) else {
                continue;
            };
            let secret = keyring.open(&row.id, &ct, &nonce, &kid)?;
            let sealed = keyring.seal(&row.id, &secret);
            let mut active = row.into_active_model();
            active.secret_ciphertext = Set(Some(sealed.ciphertext));
            active.secret_nonce = Set(Some(sealed.nonce));
            active.master_key_id = Set(Some(sealed.master_key_id));
            active.update(&txn).await?;
            done += 1;
        }
        txn.commit().await?;
    }
    audit::record(
        db,
        now_ms,
        &Actor::system("licenseshipper rotate-master-key"),
        Event {
            action: "vault.master_key_rotated",
            key: None,
            detail: serde_json::json!({"rewrapped": done, "master_key_id": primary}),
        },
    )
    .await?;
    Ok(done)
}

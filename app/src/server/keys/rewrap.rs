//! Master-key checks at start-up and re-encryption of every stored secret under a new key.
//!
//! A rotation is resumable and idempotent: each row is re-sealed with a compare-and-set on its
//! nonce, so a secret rolled meanwhile (new nonce) is never overwritten with its old value, and a
//! crash leaves rows under the old and the new key, both of which the keyring still opens.

use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::api::types::AuditAction;
use crate::server::{
    audit::{self, Actor, Event},
    entities::{api_keys, webhook_endpoints},
    error::{ServiceError, ServiceResult},
    vault::Keyring,
};

/// Rows re-sealed per transaction by default.
pub const DEFAULT_BATCH: u64 = 200;

/// How many stored secrets each master key id seals, most first.
pub async fn sealed_counts(db: &DatabaseConnection) -> ServiceResult<Vec<(String, u64)>> {
    let mut counts: Vec<(String, i64)> = api_keys::Entity::find()
        .select_only()
        .column(api_keys::Column::MasterKeyId)
        .column_as(api_keys::Column::Id.count(), "rows")
        .filter(api_keys::Column::MasterKeyId.is_not_null())
        .group_by(api_keys::Column::MasterKeyId)
        .into_tuple()
        .all(db)
        .await?;
    // Webhook signing secrets are sealed by the same keyring (the current and, after a roll,
    // the previous one).
    for (id, previous) in webhook_endpoints::Entity::find()
        .select_only()
        .column(webhook_endpoints::Column::MasterKeyId)
        .column(webhook_endpoints::Column::PreviousMasterKeyId)
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await?
    {
        for id in std::iter::once(id).chain(previous) {
            match counts.iter_mut().find(|(known, _)| *known == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts
        .into_iter()
        .map(|(id, n)| (id, n.max(0) as u64))
        .collect())
}

/// Fails only for rows that no key of the ring opens (naming those key ids and row counts), or
/// when a known key does not open a sample row (a wrong key file or tampered data).
pub async fn check_keyring(db: &DatabaseConnection, keyring: &Keyring) -> ServiceResult<()> {
    let counts = sealed_counts(db).await?;
    let mut unknown: Vec<String> = counts
        .iter()
        .filter(|(id, _)| !keyring.knows(id))
        .map(|(id, n)| format!("{id} ({n} secrets)"))
        .collect();
    // An empty vault still names the key its first server made: another key would fork it.
    if let Some(recorded) = super::vault_record::recorded_key(db)
        .await?
        .filter(|id| !keyring.knows(id))
    {
        if !counts.iter().any(|(id, _)| *id == recorded) {
            unknown.push(format!("{recorded} (the recorded sealing key)"));
        }
    }
    if !unknown.is_empty() {
        return Err(ServiceError::Internal(format!(
            "stored secrets are sealed under master keys that are not the configured master key \
             or a previous one: {}; configure the key files that hold them \
             (--master-key-file, --previous-master-key-file)",
            unknown.join(", ")
        )));
    }
    for (id, _) in &counts {
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
            keyring.open(&row.id, ct, nonce, id).map_err(|_| {
                ServiceError::Internal(format!(
                    "the configured master key {id} cannot decrypt stored secrets (wrong key or tampered data)"
                ))
            })?;
            continue;
        }
        // A key id that seals only webhook signing secrets: try one of those.
        let sample = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::MasterKeyId.eq(id.as_str()))
            .one(db)
            .await?;
        if let Some(row) = sample {
            let aad = crate::server::webhooks::sealing_aad(&row.id);
            keyring
                .open_bytes(&aad, &row.secret_ciphertext, &row.secret_nonce, id)
                .map_err(|_| {
                    ServiceError::Internal(format!(
                        "the configured master key {id} cannot decrypt stored webhook secrets (wrong key or tampered data)"
                    ))
                })?;
        }
    }
    Ok(())
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrapped {
    /// Secrets re-sealed under the new key by this run.
    pub rewrapped: u64,
    /// Secrets still sealed under another key: sealed meanwhile by a server that still seals
    /// with the old key (restart every server with the new key current, then run again).
    pub remaining: u64,
    /// Secrets that failed authentication (tampered rows): dropped (the key is no longer
    /// recoverable), logged and audited.
    pub unreadable: u64,
}

/// Re-seals every recoverable secret not yet under the keyring's primary key, `batch` rows per
/// transaction. Passes over the table until a pass re-seals nothing more (at most a few).
pub async fn rewrap_all(
    db: &DatabaseConnection,
    keyring: &Keyring,
    now_ms: i64,
    batch: u64,
) -> ServiceResult<Rewrapped> {
    let primary = keyring.primary_id().to_owned();
    let mut rewrapped = 0u64;
    let mut unreadable = 0u64;
    for _pass in 0..5 {
        let pass = rewrap_pass(db, keyring, &primary, batch.max(1), now_ms).await?;
        rewrapped += pass.0;
        unreadable += pass.1;
        if pass.0 == 0 {
            break;
        }
    }
    let (webhooks_done, webhooks_left, webhooks_unreadable) =
        rewrap_webhooks(db, keyring, now_ms).await?;
    rewrapped += webhooks_done;
    unreadable += webhooks_unreadable;
    let remaining = api_keys::Entity::find()
        .filter(api_keys::Column::MasterKeyId.is_not_null())
        .filter(api_keys::Column::MasterKeyId.ne(primary.as_str()))
        .count(db)
        .await?
        + webhooks_left;
    audit::record(
        db,
        now_ms,
        &Actor::system("licenseshipper rotate-master-key"),
        Event {
            action: AuditAction::VaultMasterKeyRotated,
            key: None,
            detail: serde_json::json!({
                "rewrapped": rewrapped,
                "remaining": remaining,
                "unreadable": unreadable,
                "master_key_id": primary,
            }),
        },
    )
    .await?;
    Ok(Rewrapped {
        rewrapped,
        remaining,
        unreadable,
    })
}

/// One pass in id order; answers how many rows it re-sealed and how many it could not open.
async fn rewrap_pass(
    db: &DatabaseConnection,
    keyring: &Keyring,
    primary: &str,
    batch: u64,
    now_ms: i64,
) -> ServiceResult<(u64, u64)> {
    let (mut done, mut unreadable) = (0u64, 0u64);
    let mut after = String::new();
    loop {
        let rows = api_keys::Entity::find()
            .filter(api_keys::Column::MasterKeyId.is_not_null())
            .filter(api_keys::Column::MasterKeyId.ne(primary))
            .filter(api_keys::Column::Id.gt(after.as_str()))
            .order_by_asc(api_keys::Column::Id)
            .limit(batch)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok((done, unreadable));
        };
        after = last.id.clone();
        let txn = crate::server::db::begin_write(db).await?;
        for row in &rows {
            match reseal(&txn, keyring, row).await {
                Ok(resealed) => done += u64::from(resealed),
                Err(ServiceError::Vault(e @ crate::server::vault::VaultError::Tampered)) => {
                    tracing::error!(key_id = %row.id, error = %e, "stored secret cannot be opened; the key is no longer recoverable");
                    if quarantine(&txn, row, now_ms).await? {
                        unreadable += 1;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        txn.commit().await?;
    }
}

/// A stored secret no configured key opens (tampered data) is dropped, so the row no longer
/// ties the vault to an old key: the key still verifies (by its hash) but can no longer be
/// revealed, and the audit log says so.
async fn quarantine<C: sea_orm::ConnectionTrait>(
    conn: &C,
    row: &api_keys::Model,
    now_ms: i64,
) -> ServiceResult<bool> {
    // Only the ciphertext that failed: a roll since then sealed a new one, which stays.
    let dropped = api_keys::Entity::update_many()
        .col_expr(
            api_keys::Column::SecretCiphertext,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            api_keys::Column::SecretNonce,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            api_keys::Column::MasterKeyId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(api_keys::Column::Recoverable, Expr::value(false))
        .filter(api_keys::Column::Id.eq(row.id.as_str()))
        .filter(api_keys::Column::SecretNonce.eq(row.secret_nonce.clone()))
        .filter(api_keys::Column::MasterKeyId.eq(row.master_key_id.clone()))
        .exec(conn)
        .await?
        .rows_affected;
    if dropped != 1 {
        return Ok(false);
    }
    audit::record(
        conn,
        now_ms,
        &Actor::system("licenseshipper rotate-master-key"),
        Event {
            action: AuditAction::KeySecretUnreadable,
            key: Some((&row.id, &row.name)),
            detail: serde_json::json!({"master_key_id": row.master_key_id}),
        },
    )
    .await?;
    Ok(true)
}

/// Re-seals one row as it was read, under the keyring's primary key, with a compare-and-set on
/// its nonce and key id: a row rolled since it was read (a new nonce, sealed by its server)
/// is left alone. Answers whether the row was re-sealed.
pub async fn reseal<C: sea_orm::ConnectionTrait>(
    conn: &C,
    keyring: &Keyring,
    row: &api_keys::Model,
) -> ServiceResult<bool> {
    let (Some(ct), Some(nonce), Some(kid)) = (
        row.secret_ciphertext.as_deref(),
        row.secret_nonce.as_deref(),
        row.master_key_id.as_deref(),
    ) else {
        return Ok(false);
    };
    let secret = keyring.open(&row.id, ct, nonce, kid)?;
    let sealed = keyring.seal(&row.id, &secret);
    let updated = api_keys::Entity::update_many()
        .col_expr(
            api_keys::Column::SecretCiphertext,
            Expr::value(sealed.ciphertext),
        )
        .col_expr(api_keys::Column::SecretNonce, Expr::value(sealed.nonce))
        .col_expr(
            api_keys::Column::MasterKeyId,
            Expr::value(sealed.master_key_id),
        )
        .filter(api_keys::Column::Id.eq(row.id.as_str()))
        .filter(api_keys::Column::SecretNonce.eq(nonce.to_vec()))
        .filter(api_keys::Column::MasterKeyId.eq(kid))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// An update of one endpoint's sealed secrets.
type EndpointUpdate = sea_orm::UpdateMany<webhook_endpoints::Entity>;

fn set_current(update: EndpointUpdate, sealed: crate::server::vault::Sealed) -> EndpointUpdate {
    update
        .col_expr(
            webhook_endpoints::Column::SecretCiphertext,
            Expr::value(sealed.ciphertext),
        )
        .col_expr(
            webhook_endpoints::Column::SecretNonce,
            Expr::value(sealed.nonce),
        )
        .col_expr(
            webhook_endpoints::Column::MasterKeyId,
            Expr::value(sealed.master_key_id),
        )
}

/// The previous secret re-sealed, or (`None`) dropped: nothing signs with it any more.
fn set_previous(
    update: EndpointUpdate,
    sealed: Option<crate::server::vault::Sealed>,
) -> EndpointUpdate {
    let dropped = sealed.is_none();
    let (ct, nonce, kid) = match sealed {
        Some(s) => (Some(s.ciphertext), Some(s.nonce), Some(s.master_key_id)),
        None => (None, None, None),
    };
    let update = update
        .col_expr(
            webhook_endpoints::Column::PreviousSecretCiphertext,
            Expr::value(ct),
        )
        .col_expr(
            webhook_endpoints::Column::PreviousSecretNonce,
            Expr::value(nonce),
        )
        .col_expr(
            webhook_endpoints::Column::PreviousMasterKeyId,
            Expr::value(kid),
        );
    if dropped {
        update.col_expr(
            webhook_endpoints::Column::PreviousSecretExpiresAt,
            Expr::value(Option::<i64>::None),
        )
    } else {
        update
    }
}

/// Re-seals every webhook signing secret (current and previous) not under the primary key, one
/// endpoint per statement with a compare-and-set on its nonce (a roll meanwhile wins). A previous
/// secret past its overlap is dropped rather than re-sealed. A current secret no key opens
/// (tampered data) is replaced by a fresh one nobody knows and its endpoint disabled, saying
/// why (audited). Answers (secrets re-sealed, secrets left under another key, unreadable).
async fn rewrap_webhooks(
    db: &DatabaseConnection,
    keyring: &Keyring,
    now_ms: i64,
) -> ServiceResult<(u64, u64, u64)> {
    use crate::server::vault::VaultError;
    let primary = keyring.primary_id();
    let (mut done, mut left, mut unreadable) = (0u64, 0u64, 0u64);
    for row in webhook_endpoints::Entity::find().all(db).await? {
        let previous_live = row.previous_secret_expires_at.is_some_and(|at| at > now_ms);
        let stale_previous = row
            .previous_master_key_id
            .as_deref()
            .is_some_and(|id| id != primary);
        if row.master_key_id == primary && !stale_previous {
            continue;
        }
        let aad = crate::server::webhooks::sealing_aad(&row.id);
        let update = webhook_endpoints::Entity::update_many()
            .filter(webhook_endpoints::Column::Id.eq(row.id.as_str()))
            .filter(webhook_endpoints::Column::SecretNonce.eq(row.secret_nonce.clone()));
        let current = match keyring.open_bytes(
            &aad,
            &row.secret_ciphertext,
            &row.secret_nonce,
            &row.master_key_id,
        ) {
            Ok(current) => current,
            Err(e @ VaultError::Tampered) => {
                tracing::error!(endpoint_id = %row.id, error = %e, "webhook signing secret cannot be opened; the endpoint is disabled");
                let reason = "Its signing secret could not be opened during a master-key rotation: roll the secret, then enable the endpoint.";
                let fresh = keyring.seal_bytes(&aad, &crate::server::webhooks::signing::generate());
                let replaced = set_previous(set_current(update, fresh), None)
                    .col_expr(
                        webhook_endpoints::Column::DisabledAt,
                        Expr::value(Some(now_ms)),
                    )
                    .col_expr(
                        webhook_endpoints::Column::DisabledReason,
                        Expr::value(Some(reason)),
                    )
                    .col_expr(webhook_endpoints::Column::UpdatedAt, Expr::value(now_ms))
                    .exec(db)
                    .await?
                    .rows_affected;
                if replaced == 1 {
                    audit::record(
                        db,
                        now_ms,
                        &Actor::system("licenseshipper rotate-master-key"),
                        Event {
                            action: AuditAction::WebhookDisabled,
                            key: None,
                            detail: serde_json::json!({"endpoint_id": row.id, "reason": reason}),
                        },
                    )
                    .await?;
                    unreadable += 1;
                } else {
                    left += 1;
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let previous = match (
            row.previous_secret_ciphertext.as_deref(),
            row.previous_secret_nonce.as_deref(),
            row.previous_master_key_id.as_deref(),
        ) {
            (Some(ct), Some(nonce), Some(kid)) if previous_live => {
                match keyring.open_bytes(&aad, ct, nonce, kid) {
                    Ok(previous) => Some(keyring.seal_bytes(&aad, &previous)),
                    Err(e) => {
                        tracing::error!(endpoint_id = %row.id, error = %e, "previous webhook signing secret cannot be opened; it is dropped");
                        None
                    }
                }
            }
            _ => None,
        };
        let secrets = 1 + u64::from(previous.is_some());
        let update = set_previous(
            set_current(update, keyring.seal_bytes(&aad, &current)),
            previous,
        );
        if update.exec(db).await?.rows_affected == 1 {
            done += secrets;
        } else {
            left += secrets;
        }
    }
    Ok((done, left, unreadable))
}

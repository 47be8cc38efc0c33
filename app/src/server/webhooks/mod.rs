//! Webhooks: endpoints admins register, the outbox key changes write to, and the worker that
//! signs (Standard Webhooks) and delivers with retries. See `docs/api.md`, "Webhooks".

pub mod expiry;
pub mod outbox;
pub mod signing;
pub mod target;
pub mod worker;

use std::{sync::Arc, time::Duration};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use tokio::sync::Notify;
use zeroize::Zeroizing;

use crate::api::{
    error::ApiError,
    types::AuditAction,
    webhooks::types::{
        DeliveryStatus, WebhookAttempt, WebhookEvent, WebhookPatch, MAX_WEBHOOK_DELIVERIES_PAGE,
        MAX_WEBHOOK_DESCRIPTION_LEN, MAX_WEBHOOK_ENDPOINTS, WEBHOOK_SECRET_OVERLAP_SECS,
    },
};
use crate::server::{
    audit::{self, Actor, Event},
    clock::{from_ms, SharedClock},
    db,
    entities::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_messages},
    error::{ServiceError, ServiceResult},
    vault::Keyring,
};

use self::target::TargetPolicy;

const ENDPOINT: &str = "Webhook endpoint";

/// How a delivering replica behaves (flags of `serve`).
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub targets: TargetPolicy,
    /// Whether this replica sends webhooks (every replica may; they share the work).
    pub deliver: bool,
    /// How long one attempt may take, connection to last byte read.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries when nothing woke it.
    pub poll_interval: Duration,
    /// How often expiring and expired keys are looked for.
    pub expiry_scan_interval: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            targets: TargetPolicy::default(),
            deliver: true,
            timeout: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            expiry_scan_interval: Duration::from_secs(60),
        }
    }
}

/// The aad a webhook secret is sealed under: its endpoint, in a namespace of its own.
pub fn sealing_aad(endpoint_id: &str) -> String {
    format!("webhook:{endpoint_id}")
}

pub struct Webhooks {
    db: DatabaseConnection,
    keyring: Arc<Keyring>,
    clock: SharedClock,
    settings: DeliverySettings,
    wake: Arc<Notify>,
    http: reqwest::Client,
}

impl Webhooks {
    pub fn new(
        db: DatabaseConnection,
        keyring: Arc<Keyring>,
        clock: SharedClock,
        settings: DeliverySettings,
        wake: Arc<Notify>,
    ) -> Self {
        let http = reqwest::Client::builder()
            // Every name is resolved by a resolver that answers public addresses only.
            .dns_resolver(Arc::new(target::PublicOnly {
                allow_private: settings.targets.allow_private,
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .timeout(settings.timeout)
            .user_agent(concat!(
                "LicenseShipper-Webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .expect("the webhook HTTP client (TLS set-up) could not be built");
        Self {
            db,
            keyring,
            clock,
            settings,
            wake,
            http,
        }
    }

    /// Tells this replica's worker that deliveries are due now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn list(&self) -> ServiceResult<Vec<webhook_endpoints::Model>> {
        Ok(webhook_endpoints::Entity::find()
            .order_by_asc(webhook_endpoints::Column::CreatedAt)
            .order_by_asc(webhook_endpoints::Column::Id)
            .all(&self.db)
            .await?)
    }

    pub async fn get(&self, id: &str) -> ServiceResult<webhook_endpoints::Model> {
        webhook_endpoints::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ServiceError::not_found(ENDPOINT))
    }

    /// Adds an endpoint; its signing secret (`whsec_…`) is answered here and never again.
    pub async fn create(
        &self,
        actor: &Actor,
        url: &str,
        events: &[WebhookEvent],
        description: &str,
    ) -> ServiceResult<(webhook_endpoints::Model, String)> {
        let url = self.check_url("url", url).await?;
        let events = validate_events("events", events)?;
        let description = validate_description("description", description)?;
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        if webhook_endpoints::Entity::find().count(&txn).await? >= MAX_WEBHOOK_ENDPOINTS {
            return Err(ServiceError::validation(
                "url",
                format!("At most {MAX_WEBHOOK_ENDPOINTS} webhook endpoints: delete one first."),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let secret = signing::generate();
        let sealed = self.keyring.seal_bytes(&sealing_aad(&id), &secret);
        let model = webhook_endpoints::ActiveModel {
            id: Set(id),
            url: Set(url),
            description: Set(description),
            events: Set(events_to_column(&events)),
            secret_ciphertext: Set(sealed.ciphertext),
            secret_nonce: Set(sealed.nonce),
            master_key_id: Set(sealed.master_key_id),
            previous_secret_ciphertext: Set(None),
            previous_secret_nonce: Set(None),
            previous_master_key_id: Set(None),
            previous_secret_expires_at: Set(None),
            disabled_at: Set(None),
            disabled_reason: Set(None),
            failing_since: Set(None),
            created_at: Set(now),
            created_by: Set(actor.creator_label()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        record(
            &txn,
            now,
            actor,
            AuditAction::WebhookCreated,
            json!({"endpoint_id": model.id, "url": origin(&model.url), "events": events}),
        )
        .await?;
        txn.commit().await?;
        Ok((model, signing::display(&secret)))
    }

    /// Changes an endpoint; enabling it again clears why it was disabled.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        patch: &WebhookPatch,
    ) -> ServiceResult<webhook_endpoints::Model> {
        let url = match &patch.url {
            Some(url) => Some(self.check_url("url", url).await?),
            None => None,
        };
        let events = patch
            .events
            .as_deref()
            .map(|e| validate_events("events", e))
            .transpose()?;
        let description = patch
            .description
            .as_deref()
            .map(|d| validate_description("description", d))
            .transpose()?;
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let model = lock(&txn, id).await?;
        let mut changed = serde_json::Map::new();
        let mut active = model.clone().into_active_model();
        if let Some(url) = url.filter(|u| *u != model.url) {
            changed.insert(
                "url".into(),
                json!({"from": origin(&model.url), "to": origin(&url)}),
            );
            active.url = Set(url);
        }
        if let Some(events) = events
            .map(|e| events_to_column(&e))
            .filter(|e| *e != model.events)
        {
            changed.insert("events".into(), json!({"from": model.events, "to": events}));
            active.events = Set(events);
        }
        if let Some(description) = description.filter(|d| *d != model.description) {
            changed.insert("description".into(), json!({"to": description}));
            active.description = Set(description);
        }
        if let Some(disabled) = patch.disabled.filter(|d| *d != model.disabled_at.is_some()) {
            changed.insert("disabled".into(), json!(disabled));
            active.disabled_at = Set(disabled.then_some(now));
            active.disabled_reason = Set(disabled.then(|| format!("Disabled by {}.", actor.label)));
            active.failing_since = Set(None);
        }
        if changed.is_empty() {
            txn.rollback().await?;
            return Ok(model);
        }
        active.updated_at = Set(now);
        let updated = active.update(&txn).await?;
        changed.insert("endpoint_id".into(), json!(updated.id));
        record(
            &txn,
            now,
            actor,
            AuditAction::WebhookUpdated,
            serde_json::Value::Object(changed),
        )
        .await?;
        txn.commit().await?;
        if updated.disabled_at.is_none() {
            self.wake();
        }
        Ok(updated)
    }

    /// A new signing secret (answered once); the previous one also signs for 24 hours.
    pub async fn roll_secret(
        &self,
        actor: &Actor,
        id: &str,
    ) -> ServiceResult<(webhook_endpoints::Model, String)> {
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let model = lock(&txn, id).await?;
        let secret = signing::generate();
        let sealed = self.keyring.seal_bytes(&sealing_aad(&model.id), &secret);
        let overlap_ends = now + WEBHOOK_SECRET_OVERLAP_SECS as i64 * 1000;
        let mut active = model.clone().into_active_model();
        active.previous_secret_ciphertext = Set(Some(model.secret_ciphertext.clone()));
        active.previous_secret_nonce = Set(Some(model.secret_nonce.clone()));
        active.previous_master_key_id = Set(Some(model.master_key_id.clone()));
        active.previous_secret_expires_at = Set(Some(overlap_ends));
        active.secret_ciphertext = Set(sealed.ciphertext);
        active.secret_nonce = Set(sealed.nonce);
        active.master_key_id = Set(sealed.master_key_id);
        active.updated_at = Set(now);
        let updated = active.update(&txn).await?;
        record(
            &txn,
            now,
            actor,
            AuditAction::WebhookSecretRolled,
            json!({"endpoint_id": updated.id, "previous_secret_expires_at": from_ms(overlap_ends)}),
        )
        .await?;
        txn.commit().await?;
        Ok((updated, signing::display(&secret)))
    }

    /// Deletes an endpoint and its deliveries (messages stay for other endpoints).
    pub async fn delete(&self, actor: &Actor, id: &str) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let model = lock(&txn, id).await?;
        // Its deliveries, and their attempts, go with it (ON DELETE CASCADE; SQLite is opened
        // with foreign keys on).
        webhook_endpoints::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        record(
            &txn,
            now,
            actor,
            AuditAction::WebhookDeleted,
            json!({"endpoint_id": model.id, "url": origin(&model.url)}),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The endpoint's most recent attempts, newest first.
    pub async fn attempts(
        &self,
        id: &str,
        limit: Option<u64>,
    ) -> ServiceResult<Vec<WebhookAttempt>> {
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_WEBHOOK_DELIVERIES_PAGE).contains(&limit) {
            return Err(ServiceError::validation(
                "limit",
                format!("Limit must be between 1 and {MAX_WEBHOOK_DELIVERIES_PAGE}."),
            ));
        }
        self.get(id).await?;
        let attempts = webhook_attempts::Entity::find()
            .filter(webhook_attempts::Column::EndpointId.eq(id))
            .order_by_desc(webhook_attempts::Column::At)
            .order_by_desc(webhook_attempts::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let delivery_ids: Vec<&str> = attempts.iter().map(|a| a.delivery_id.as_str()).collect();
        let deliveries = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Id.is_in(delivery_ids))
            .all(&self.db)
            .await?;
        let message_ids: Vec<&str> = attempts.iter().map(|a| a.message_id.as_str()).collect();
        let types: Vec<(String, String)> = webhook_messages::Entity::find()
            .select_only()
            .column(webhook_messages::Column::Id)
            .column(webhook_messages::Column::EventType)
            .filter(webhook_messages::Column::Id.is_in(message_ids))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(attempts
            .into_iter()
            .map(|a| {
                let delivery = deliveries.iter().find(|d| d.id == a.delivery_id);
                let status = delivery
                    .and_then(|d| d.status.parse().ok())
                    .unwrap_or(DeliveryStatus::Failed);
                WebhookAttempt {
                    event_type: types
                        .iter()
                        .find(|(id, _)| *id == a.message_id)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default(),
                    id: a.id,
                    message_id: a.message_id,
                    attempt: a.attempt.max(0) as u32,
                    at: from_ms(a.at),
                    status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
                    duration_ms: a.duration_ms.max(0) as u64,
                    response: a.response,
                    error: a.error,
                    succeeded: a.succeeded,
                    delivery_status: status,
                    next_attempt_at: delivery
                        .filter(|_| status == DeliveryStatus::Pending)
                        .map(|d| from_ms(d.next_attempt_at)),
                }
            })
            .collect())
    }

    /// Sends one message to the endpoint again, now (one more attempt if it had failed).
    pub async fn resend(&self, endpoint_id: &str, message_id: &str) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let txn = db::begin_write(&self.db).await?;
        let updated = webhook_deliveries::Entity::update_many()
            .col_expr(
                webhook_deliveries::Column::Status,
                sea_orm::sea_query::Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(
                webhook_deliveries::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .col_expr(
                webhook_deliveries::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint_id))
            .filter(webhook_deliveries::Column::MessageId.eq(message_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if updated.rows_affected == 0 {
            return Err(ServiceError::not_found("Message for this endpoint"));
        }
        self.wake();
        Ok(())
    }

    /// Queues a `webhook.test` event for the endpoint (an enabled one: a disabled endpoint is
    /// sent nothing).
    pub async fn send_test(&self, id: &str) -> ServiceResult<String> {
        let endpoint = self.get(id).await?;
        if endpoint.disabled_at.is_some() {
            return Err(ApiError::Forbidden(
                "The endpoint is disabled: enable it to send it events.".into(),
            )
            .into());
        }
        let txn = db::begin_write(&self.db).await?;
        let message = outbox::enqueue_test(&txn, self.clock.now_ms(), id).await?;
        txn.commit().await?;
        self.wake();
        Ok(message)
    }

    /// The secrets that sign for `endpoint` now: its own, and for a day after a roll the
    /// previous one too.
    fn signing_secrets(
        &self,
        endpoint: &webhook_endpoints::Model,
        now_ms: i64,
    ) -> ServiceResult<Vec<Zeroizing<Vec<u8>>>> {
        let aad = sealing_aad(&endpoint.id);
        let mut secrets = vec![self.keyring.open_bytes(
            &aad,
            &endpoint.secret_ciphertext,
            &endpoint.secret_nonce,
            &endpoint.master_key_id,
        )?];
        if let (Some(ct), Some(nonce), Some(kid), Some(until)) = (
            endpoint.previous_secret_ciphertext.as_deref(),
            endpoint.previous_secret_nonce.as_deref(),
            endpoint.previous_master_key_id.as_deref(),
            endpoint.previous_secret_expires_at,
        ) {
            if until > now_ms {
                secrets.push(self.keyring.open_bytes(&aad, ct, nonce, kid)?);
            }
        }
        Ok(secrets)
    }

    async fn check_url(&self, field: &str, raw: &str) -> ServiceResult<String> {
        let url = target::parse_url(field, raw, self.settings.targets)?;
        target::check_resolves_publicly(field, &url, self.settings.targets).await?;
        Ok(url.to_string())
    }
}

/// The endpoint, locked for this transaction (404 if it is gone).
async fn lock(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
) -> ServiceResult<webhook_endpoints::Model> {
    webhook_endpoints::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(ENDPOINT))
}

async fn record<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: i64,
    actor: &Actor,
    action: AuditAction,
    detail: serde_json::Value,
) -> ServiceResult<()> {
    audit::record(
        conn,
        now,
        actor,
        Event {
            action,
            key: None,
            detail,
        },
    )
    .await
}

/// What the audit log keeps of an endpoint URL: its origin. Paths and queries of hook URLs
/// often carry a credential (Slack, Zapier), and viewers read the audit log.
fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn validate_events(field: &str, events: &[WebhookEvent]) -> Result<Vec<WebhookEvent>, ApiError> {
    if events.contains(&WebhookEvent::Unknown) {
        let known: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
        return Err(ApiError::validation(
            field,
            format!("Unknown event type; the types are: {}.", known.join(", ")),
        ));
    }
    let mut events = events.to_vec();
    events.sort_unstable();
    events.dedup();
    if events.is_empty() {
        return Err(ApiError::validation(field, "Choose at least one event."));
    }
    Ok(events)
}

fn validate_description(field: &str, raw: &str) -> Result<String, ApiError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_WEBHOOK_DESCRIPTION_LEN {
        return Err(ApiError::validation(
            field,
            format!("A description may be at most {MAX_WEBHOOK_DESCRIPTION_LEN} characters."),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            "A description must not contain control characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

fn events_to_column(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The events an endpoint's column names.
pub fn events_from_column(column: &str) -> Vec<WebhookEvent> {
    column
        .split_whitespace()
        .filter_map(WebhookEvent::parse)
        .collect()
}

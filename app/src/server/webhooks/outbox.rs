//! The outbox: an event is written in the transaction of the change that causes it, as one
//! message and one pending delivery per enabled endpoint that wants it. If the change rolls
//! back, so does the event; once it commits, a delivery worker sends it (at least once).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use crate::api::webhooks::types::{DeliveryStatus, WebhookEvent, WEBHOOK_TEST_EVENT};
use crate::server::{
    clock::from_ms,
    entities::{api_keys, webhook_deliveries, webhook_endpoints, webhook_messages},
    error::ServiceResult,
    wire,
};

/// Rows per INSERT (well under PostgreSQL's 65,535 bind parameters).
const CHUNK: usize = 500;

/// A message id (`webhook-id`): `msg_` and a UUIDv7, unique and time-ordered.
pub fn message_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// The body every attempt sends: `{type, timestamp, data}`.
pub fn payload(event_type: &str, at_ms: i64, data: serde_json::Value) -> String {
    json!({"type": event_type, "timestamp": from_ms(at_ms), "data": data}).to_string()
}

/// The enabled endpoints that want `event`.
async fn subscribers<C: ConnectionTrait>(
    conn: &C,
    event: WebhookEvent,
) -> ServiceResult<Vec<String>> {
    let rows: Vec<(String, String)> = webhook_endpoints::Entity::find()
        .select_only()
        .column(webhook_endpoints::Column::Id)
        .column(webhook_endpoints::Column::Events)
        .filter(webhook_endpoints::Column::DisabledAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, events)| events.split_whitespace().any(|e| e == event.as_str()))
        .map(|(id, _)| id)
        .collect())
}

/// Writes `event` for each of `keys` (as they are now, or were before a delete) to every
/// endpoint that wants it. Answers how many deliveries it queued (0 when no endpoint wants it,
/// at the cost of one small read).
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    now_ms: i64,
    event: WebhookEvent,
    keys: &[&api_keys::Model],
) -> ServiceResult<u64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let endpoints = subscribers(conn, event).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let messages: Vec<webhook_messages::ActiveModel> = keys
        .iter()
        .map(|key| {
            let data = serde_json::to_value(wire::to_item(key, now_ms)).unwrap_or_default();
            webhook_messages::ActiveModel {
                id: Set(message_id()),
                event_type: Set(event.as_str().to_owned()),
                key_id: Set(Some(key.id.clone())),
                payload: Set(payload(event.as_str(), now_ms, data)),
                created_at: Set(now_ms),
            }
        })
        .collect();
    let deliveries: Vec<webhook_deliveries::ActiveModel> = messages
        .iter()
        .flat_map(|m| {
            let message = m.id.clone().unwrap();
            endpoints
                .iter()
                .map(move |endpoint| pending(&message, endpoint, now_ms))
        })
        .collect();
    let queued = deliveries.len() as u64;
    insert_all(conn, messages, deliveries).await?;
    Ok(queued)
}

/// A test event for one endpoint, whatever it subscribes to. Answers the message id.
pub async fn enqueue_test<C: ConnectionTrait>(
    conn: &C,
    now_ms: i64,
    endpoint_id: &str,
) -> ServiceResult<String> {
    let id = message_id();
    let message = webhook_messages::ActiveModel {
        id: Set(id.clone()),
        event_type: Set(WEBHOOK_TEST_EVENT.to_owned()),
        key_id: Set(None),
        payload: Set(payload(
            WEBHOOK_TEST_EVENT,
            now_ms,
            json!({"endpoint_id": endpoint_id, "message": "A test event from LicenseShipper Keys."}),
        )),
        created_at: Set(now_ms),
    };
    insert_all(conn, vec![message], vec![pending(&id, endpoint_id, now_ms)]).await?;
    Ok(id)
}

fn pending(message_id: &str, endpoint_id: &str, now_ms: i64) -> webhook_deliveries::ActiveModel {
    webhook_deliveries::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        message_id: Set(message_id.to_owned()),
        endpoint_id: Set(endpoint_id.to_owned()),
        status: Set(DeliveryStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now_ms + super::worker::retry_delay_ms(0).unwrap_or(0)),
        lease: Set(None),
        leased_until: Set(None),
        last_status_code: Set(None),
        created_at: Set(now_ms),
        updated_at: Set(now_ms),
    }
}

async fn insert_all<C: ConnectionTrait>(
    conn: &C,
    messages: Vec<webhook_messages::ActiveModel>,
    deliveries: Vec<webhook_deliveries::ActiveModel>,
) -> ServiceResult<()> {
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let chunk: Vec<_> = messages.by_ref().take(CHUNK).collect();
        webhook_messages::Entity::insert_many(chunk)
            .exec(conn)
            .await?;
    }
    let mut deliveries = deliveries.into_iter().peekable();
    while deliveries.peek().is_some() {
        let chunk: Vec<_> = deliveries.by_ref().take(CHUNK).collect();
        webhook_deliveries::Entity::insert_many(chunk)
            .exec(conn)
            .await?;
    }
    Ok(())
}

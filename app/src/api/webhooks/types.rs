//! Webhooks on the wire: event types, endpoints, deliveries, and the limits both sides share.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The events an endpoint may subscribe to. On the wire, its name; any other string decodes as
/// `Unknown`, so that validation can name the `events` field (422).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
)]
pub enum WebhookEvent {
    #[strum(serialize = "key.created")]
    KeyCreated,
    #[strum(serialize = "key.updated")]
    KeyUpdated,
    #[strum(serialize = "key.rolled")]
    KeyRolled,
    #[strum(serialize = "key.enabled")]
    KeyEnabled,
    #[strum(serialize = "key.disabled")]
    KeyDisabled,
    #[strum(serialize = "key.deleted")]
    KeyDeleted,
    #[strum(serialize = "key.expiring")]
    KeyExpiring,
    #[strum(serialize = "key.expired")]
    KeyExpired,
    #[strum(serialize = "key.leaked")]
    KeyLeaked,
    #[strum(serialize = "unknown")]
    Unknown,
}

/// The type of the event "Send test event" sends (to that endpoint only, whatever it subscribes to).
pub const WEBHOOK_TEST_EVENT: &str = "webhook.test";

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 9] = [
        Self::KeyCreated,
        Self::KeyUpdated,
        Self::KeyRolled,
        Self::KeyEnabled,
        Self::KeyDisabled,
        Self::KeyDeleted,
        Self::KeyExpiring,
        Self::KeyExpired,
        Self::KeyLeaked,
    ];

    /// The event an audited key change sends, if any (one mapping, used by every change).
    pub fn for_audit(action: crate::api::types::AuditAction) -> Option<Self> {
        use crate::api::types::AuditAction as A;
        Some(match action {
            A::KeyCreated => Self::KeyCreated,
            A::KeyUpdated => Self::KeyUpdated,
            A::KeyRolled => Self::KeyRolled,
            A::KeyEnabled => Self::KeyEnabled,
            A::KeyDisabled => Self::KeyDisabled,
            A::KeyDeleted | A::KeyBulkDeleted => Self::KeyDeleted,
            A::KeyLeaked => Self::KeyLeaked,
            // Listed, not `_`: a new action must be decided on here.
            A::KeyRevealed
            | A::KeySecretUnreadable
            | A::AdminSetup
            | A::AdminCreated
            | A::AdminDisabled
            | A::AdminEnabled
            | A::AdminRoleChanged
            | A::SettingsKeyPolicyChanged
            | A::AdminPasswordChanged
            | A::AuthLogin
            | A::AuthLoginFailed
            | A::AuthLogout
            | A::AuthPasswordConfirmed
            | A::AuthSessionsEnded
            | A::VaultMasterKeyRotated
            | A::WebhookCreated
            | A::WebhookUpdated
            | A::WebhookSecretRolled
            | A::WebhookDisabled
            | A::WebhookDeleted => return None,
        })
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::KeyCreated => "A key was created",
            Self::KeyUpdated => "A key's name, project, expiry, scopes, limit or ranges changed",
            Self::KeyRolled => "A key got a new secret",
            Self::KeyEnabled => "A key was enabled",
            Self::KeyDisabled => "A key was disabled",
            Self::KeyDeleted => "A key was deleted (one event per key, bulk deletes too)",
            Self::KeyExpiring => "A key expires within 7 days, then within 1 day",
            Self::KeyExpired => "A key expired",
            Self::KeyLeaked => "A key's secret was reported leaked",
            Self::Unknown => "Not an event type",
        }
    }
}

crate::wire_names!(
    WebhookEvent,
    "An event a webhook endpoint may subscribe to."
);

/// When each attempt of a message is made: the first at once, then, after each failure, 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later. After the eighth fails, the message is failed.
pub const WEBHOOK_RETRY_SCHEDULE_SECS: [u64; 8] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// After a roll, the previous signing secret also signs for this long.
pub const WEBHOOK_SECRET_OVERLAP_SECS: u64 = 24 * 3600;
/// An endpoint whose deliveries have failed this long, without one success, is disabled.
pub const WEBHOOK_DISABLE_AFTER_FAILING_SECS: u64 = 5 * 24 * 3600;
/// How much of a response body the deliveries log keeps.
pub const WEBHOOK_RESPONSE_EXCERPT_BYTES: usize = 1024;
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;
pub const MAX_WEBHOOK_DESCRIPTION_LEN: usize = 200;
pub const MAX_WEBHOOK_ENDPOINTS: u64 = 50;
/// Attempts `webhooks.deliveries` answers at most.
pub const MAX_WEBHOOK_DELIVERIES_PAGE: u64 = 100;

/// A webhook endpoint. Never carries its signing secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<WebhookEvent>,
    /// When it was disabled (by an admin, or after failing for 5 days), and why.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// The first failed attempt since the last success (`null` while deliveries succeed).
    pub failing_since: Option<DateTime<Utc>>,
    /// While a rolled secret's predecessor still signs: when it stops.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret (`whsec_…`): answered once, by create and roll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// A new endpoint: where, which events, and a note for people.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<WebhookEvent>,
    #[serde(default)]
    pub description: String,
}

/// A change to an endpoint; an absent field stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `true` disables it, `false` enables it again (clearing why it was disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet delivered: an attempt is due at `next_attempt_at`.
    Pending,
    Succeeded,
    /// Every retry failed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Succeeded => "Delivered",
            Self::Failed => "Failed",
        }
    }
}

/// One attempt to deliver a message to an endpoint, newest first in the deliveries log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    pub id: String,
    /// The message (`webhook-id`): "Resend" sends it again.
    pub message_id: String,
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// `null` when no response came (refused, timed out, not allowed).
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    /// The response body's first 1 KB.
    pub response: String,
    pub error: Option<String>,
    pub succeeded: bool,
    /// Where the message stands now, and when it is tried next.
    pub delivery_status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

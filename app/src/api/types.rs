//! Plain data that crosses the wire, compiled for both the server and the wasm client.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::error::KeyRejection;

/// What an API key may do. Admin sessions may do everything a key may. On the wire, its
/// string form (strum); any other string decodes as `Unknown`, so that validation can name the
/// `scopes` field (422).
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
pub enum Scope {
    #[strum(serialize = "keys:read")]
    KeysRead,
    #[strum(serialize = "keys:write")]
    KeysWrite,
    #[strum(serialize = "keys:verify")]
    KeysVerify,
    #[strum(serialize = "unknown")]
    Unknown,
}

/// On the wire, a name (strum) that any other string decodes as `Unknown`, so validation can
/// name the field (422); the OpenAPI schema lists the names.
#[macro_export]
macro_rules! wire_names {
    ($ty:ident, $description:literal) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// One of `ALL` by its name.
            pub fn parse(s: &str) -> Option<Self> {
                s.parse().ok().filter(|v| *v != Self::Unknown)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&s).unwrap_or(Self::Unknown))
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($ty::ALL.map($ty::as_str)))
                    .description(Some($description))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $ty {}
    };
}

wire_names!(Scope, "What an API key may do.");

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::KeysRead, Scope::KeysWrite, Scope::KeysVerify];

    pub fn description(self) -> &'static str {
        match self {
            Self::KeysRead => "List and read API keys",
            Self::KeysWrite => "Create, change and delete API keys",
            Self::KeysVerify => "Verify other keys (for shop plugins)",
            Self::Unknown => "Not a scope",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Disabled,
    Expired,
}

impl KeyStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Disabled => "Disabled",
            Self::Expired => "Expired",
        }
    }
}

/// Who created a key: a human admin or another API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreatorKind {
    User,
    Key,
}

/// One API key as lists and details show it. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyItem {
    pub id: String,
    pub name: String,
    pub project: Option<String>,
    /// `lsk_AbCd••••••••wXyZ`: the first 8 and last 4 characters.
    pub masked: String,
    pub created_at: DateTime<Utc>,
    /// The display label: the admin's name, or `API key: <name>`.
    pub created_by: String,
    pub created_by_kind: CreatorKind,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    pub usage_count: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub status: KeyStatus,
    pub scopes: Vec<Scope>,
    pub recoverable: bool,
    /// While a rolled key's previous secret still works: when it stops.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub rate_limit_per_minute: Option<u32>,
    /// When the key was reported leaked, and where it was found (a URL, or what the reporter said).
    #[serde(default)]
    pub leaked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub leaked_url: Option<String>,
    /// The IP ranges (CIDR) the key may be used from; empty for anywhere.
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
    /// How many keys this key created, directly or through keys it created (answered by
    /// `keys.get` only): what a cascading disable or delete would also reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_keys: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyPage {
    pub items: Vec<KeyItem>,
    /// How many keys match; an estimate when `total_is_estimate` is set.
    pub total: u64,
    /// `total` is an estimate ("about N"): more keys match than are counted exactly, and
    /// counting them all would cost more than the page itself.
    #[serde(default)]
    pub total_is_estimate: bool,
    pub page: u64,
    pub page_size: u64,
}

impl KeyPage {
    /// The last page, when the total is exact; an estimated total knows none.
    pub fn last_page(&self) -> Option<u64> {
        (!self.total_is_estimate).then(|| self.total.div_ceil(self.page_size).max(1))
    }

    /// The total as people read it: "1,234", or "about 120,000" for an estimate (two
    /// significant digits: the rest would be noise).
    pub fn total_text(&self) -> String {
        if self.total_is_estimate {
            let scale = 10u64.pow(self.total.max(1).ilog10().saturating_sub(1));
            let rounded = self.total.saturating_add(scale / 2) / scale * scale;
            format!("about {}", group_digits(rounded))
        } else {
            group_digits(self.total)
        }
    }
}

/// `1234567` as "1,234,567".
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A key together with its full secret: answered once, by create and roll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    pub key: KeyItem,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RevealedSecret {
    pub secret: String,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    Name,
    #[default]
    Created,
    LastUsed,
    Expires,
}

impl SortField {
    pub const ALL: [SortField; 4] = [Self::Name, Self::Created, Self::LastUsed, Self::Expires];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn flip(self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyFilter {
    #[default]
    All,
    NeverUsed,
    /// Active keys that expire within [`EXPIRING_SOON_DAYS`].
    ExpiringSoon,
    Expired,
    Disabled,
}

impl KeyFilter {
    pub const ALL: [KeyFilter; 5] = [
        Self::All,
        Self::NeverUsed,
        Self::ExpiringSoon,
        Self::Expired,
        Self::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::NeverUsed => "Never used",
            Self::ExpiringSoon => "Expiring soon",
            Self::Expired => "Expired",
            Self::Disabled => "Disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// The key policy: how long keys may live, and when keys made without an expiry expire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyPolicy {
    /// No key may be made, changed or rolled to expire later than this many days ahead (nor
    /// never). `null`: no limit.
    pub max_lifetime_days: Option<u32>,
    /// A key created without an expiry expires this many days after creation. `null`: it
    /// never expires (or, under a maximum, expires at the maximum).
    pub default_expiry_days: Option<u32>,
    /// What a leak report does to a live key.
    #[serde(default)]
    pub leak_response: LeakResponse,
    /// When and by whom the policy was last changed (`null` until it is first set).
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_by: Option<String>,
}

/// What a leak report does to a live key: disable it (the default), or roll it with no grace
/// (integrations then need the new secret, which only an admin can reveal).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LeakResponse {
    #[default]
    Disable,
    Roll,
}

impl LeakResponse {
    pub const ALL: [LeakResponse; 2] = [Self::Disable, Self::Roll];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Disable => "Disable the key",
            Self::Roll => "Regenerate the key, with no grace",
        }
    }
}

/// One token a secret-scanning partner found (GitHub's partner format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeakReport {
    pub token: String,
    #[serde(rename = "type")]
    pub token_type: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Whether a reported token is one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeakLabel {
    TruePositive,
    FalsePositive,
}

/// The answer for one reported token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeakVerdict {
    pub token_raw: String,
    pub token_type: String,
    pub label: LeakLabel,
}

/// The longest lifetime or default expiry a policy may name, in days (ten years).
pub const MAX_POLICY_DAYS: u32 = 3650;
/// "Expiring soon": within this many days.
pub const EXPIRING_SOON_DAYS: i64 = 7;

pub const MAX_PAGE_SIZE: u64 = 100;
/// A list's total is counted exactly up to this many matching keys; above, it is estimated
/// (`total_is_estimate`), so a search over a million keys costs no more than its page.
pub const EXACT_TOTAL_UP_TO: u64 = 10_000;
pub const DEFAULT_PAGE_SIZE: u64 = 10;
pub const MAX_BULK_DELETE: usize = 500;
/// The longest usage window `keys.usage` answers, in days.
pub const MAX_USAGE_DAYS: u32 = 365;
/// Audit events answered per `audit.list` call at most.
pub const MAX_AUDIT_PAGE: u64 = 200;

/// The `whoami` answer: which key is calling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WhoAmI {
    pub key_id: String,
    pub name: String,
    pub project: Option<String>,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What `keys.verify` found: `valid`, or why the key was refused (the same rejections the gate
/// answers a presented key with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyCode {
    Valid,
    #[serde(untagged)]
    Rejected(KeyRejection),
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for VerifyCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use strum::IntoEnumIterator;
        let values: Vec<&'static str> = std::iter::once("valid")
            .chain(KeyRejection::iter().map(KeyRejection::as_str))
            .collect();
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(values))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for VerifyCode {}

/// The `keys.verify` answer; details only when valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Verification {
    pub valid: bool,
    pub code: VerifyCode,
    pub key_id: Option<String>,
    pub name: Option<String>,
    pub project: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What an admin account may do. `admin` (the default) does everything; a `viewer` sees the
/// pages and the audit log but cannot reveal or copy secrets, nor create, change or delete
/// anything. On the wire and in storage, its lowercase name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    #[default]
    Admin,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the app names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::Viewer => "Viewer",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Admin => "manages keys and admins",
            Self::Viewer => "sees keys and the audit log, changes nothing",
        }
    }

    /// Whether this role may call a function that needs `scope`. The one rule for viewers:
    /// they may read keys, nothing else a scope grants.
    pub fn may(self, scope: Scope) -> bool {
        match self {
            Self::Admin => true,
            Self::Viewer => scope == Scope::KeysRead,
        }
    }

    /// Whether this role may change anything (the UI hides what it may not do).
    pub fn can_manage(self) -> bool {
        self == Self::Admin
    }
}

/// The signed-in admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignedIn {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// What the SPA learns first: who is signed in, and whether setup is still open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionState {
    pub user: Option<SignedIn>,
    pub needs_setup: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminItem {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub is_self: bool,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageDay {
    pub day: NaiveDate,
    pub count: u64,
}

/// Requests per day over a window, oldest first, days without use included as zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageSeries {
    pub days: Vec<UsageDay>,
    pub total: u64,
}

/// What an audit event records. Its string form (`key.created` …) is its name on the wire and in
/// storage (strum gives it; a test holds the stored form to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum AuditAction {
    #[strum(serialize = "key.created")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.created"))]
    KeyCreated,
    #[strum(serialize = "key.revealed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.revealed"))]
    KeyRevealed,
    #[strum(serialize = "key.updated")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.updated"))]
    KeyUpdated,
    #[strum(serialize = "key.rolled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.rolled"))]
    KeyRolled,
    #[strum(serialize = "key.disabled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.disabled"))]
    KeyDisabled,
    #[strum(serialize = "key.enabled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.enabled"))]
    KeyEnabled,
    #[strum(serialize = "key.deleted")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.deleted"))]
    KeyDeleted,
    #[strum(serialize = "key.bulk_deleted")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.bulk_deleted"))]
    KeyBulkDeleted,
    #[strum(serialize = "key.leaked")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.leaked"))]
    KeyLeaked,
    #[strum(serialize = "key.secret_unreadable")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key.secret_unreadable"))]
    KeySecretUnreadable,
    #[strum(serialize = "admin.setup")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.setup"))]
    AdminSetup,
    #[strum(serialize = "admin.created")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.created"))]
    AdminCreated,
    #[strum(serialize = "admin.disabled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.disabled"))]
    AdminDisabled,
    #[strum(serialize = "admin.enabled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.enabled"))]
    AdminEnabled,
    #[strum(serialize = "settings.key_policy_changed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "settings.key_policy_changed"))]
    SettingsKeyPolicyChanged,
    #[strum(serialize = "admin.role_changed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.role_changed"))]
    AdminRoleChanged,
    #[strum(serialize = "admin.password_changed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "admin.password_changed"))]
    AdminPasswordChanged,
    #[strum(serialize = "auth.login")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "auth.login"))]
    AuthLogin,
    #[strum(serialize = "auth.login_failed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "auth.login_failed"))]
    AuthLoginFailed,
    #[strum(serialize = "auth.logout")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "auth.logout"))]
    AuthLogout,
    #[strum(serialize = "auth.password_confirmed")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "auth.password_confirmed"))]
    AuthPasswordConfirmed,
    #[strum(serialize = "auth.sessions_ended")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "auth.sessions_ended"))]
    AuthSessionsEnded,
    #[strum(serialize = "vault.master_key_rotated")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "vault.master_key_rotated"))]
    VaultMasterKeyRotated,
    #[strum(serialize = "webhook.created")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "webhook.created"))]
    WebhookCreated,
    #[strum(serialize = "webhook.updated")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "webhook.updated"))]
    WebhookUpdated,
    #[strum(serialize = "webhook.secret_rolled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "webhook.secret_rolled"))]
    WebhookSecretRolled,
    #[strum(serialize = "webhook.disabled")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "webhook.disabled"))]
    WebhookDisabled,
    #[strum(serialize = "webhook.deleted")]
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "webhook.deleted"))]
    WebhookDeleted,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the app names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::KeyCreated => "Created",
            Self::KeyRevealed => "Revealed",
            Self::KeyUpdated => "Edited",
            Self::KeyRolled => "Regenerated",
            Self::KeyDisabled => "Disabled",
            Self::KeyEnabled => "Enabled",
            Self::KeyDeleted => "Deleted",
            Self::KeyBulkDeleted => "Deleted",
            Self::KeySecretUnreadable => "Secret unreadable",
            Self::KeyLeaked => "Reported leaked",
            Self::AdminSetup => "First admin set up",
            Self::AdminCreated => "Admin added",
            Self::AdminDisabled => "Admin disabled",
            Self::AdminEnabled => "Admin enabled",
            Self::AdminRoleChanged => "Role changed",
            Self::SettingsKeyPolicyChanged => "Key policy changed",
            Self::AdminPasswordChanged => "Password changed",
            Self::AuthLogin => "Signed in",
            Self::AuthLoginFailed => "Sign-in failed",
            Self::AuthLogout => "Signed out",
            Self::AuthPasswordConfirmed => "Password confirmed (sudo mode)",
            Self::AuthSessionsEnded => "Sessions ended",
            Self::VaultMasterKeyRotated => "Master key rotated",
            Self::WebhookCreated => "Webhook endpoint added",
            Self::WebhookUpdated => "Webhook endpoint changed",
            Self::WebhookSecretRolled => "Webhook secret rolled",
            Self::WebhookDisabled => "Webhook endpoint disabled",
            Self::WebhookDeleted => "Webhook endpoint deleted",
        }
    }
}

/// Who did something: a signed-in admin, an API key, or the system (start-up, the CLI, an
/// anonymous caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum ActorKind {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "user"))]
    User,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "key"))]
    Key,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "system"))]
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Both travel as their string forms.
macro_rules! serde_as_str {
    ($($ty:ident),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|_| serde::de::Error::custom(format!("unknown {}: {s}", stringify!($ty))))
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use sea_orm::Iterable;
                let values: Vec<&'static str> = Self::iter().map(Self::as_str).collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(values))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $ty {}
    )*};
}

serde_as_str!(AuditAction, ActorKind);

/// Which audit events to show: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditFilter {
    /// Only actions starting with this (`key.`, `auth.login_failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only events whose actor's name (an admin's name, a key's name) contains this, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Only events about this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Only events at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditItem {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_label: String,
    pub action: AuditAction,
    pub ip: Option<String>,
    /// The key the event is about, if any (kept after the key is deleted).
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub key_name: Option<String>,
    pub detail: serde_json::Value,
}

/// Changes to the key policy: an absent field stays as it is; `null` removes a limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyPolicyPatch {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_lifetime_days: Option<Option<u32>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_expiry_days: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_response: Option<LeakResponse>,
}

impl KeyPolicy {
    /// This policy with `patch` applied.
    pub fn patched(&self, patch: &KeyPolicyPatch) -> KeyPolicy {
        KeyPolicy {
            max_lifetime_days: patch.max_lifetime_days.unwrap_or(self.max_lifetime_days),
            default_expiry_days: patch
                .default_expiry_days
                .unwrap_or(self.default_expiry_days),
            leak_response: patch.leak_response.unwrap_or(self.leak_response),
            ..self.clone()
        }
    }
}

/// Changes to a key: an absent field stays as it is; `null` clears project, expiry or rate limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub project: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_limit_per_minute: Option<Option<u32>>,
    /// Replaces the allowlist; `[]` allows any address again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_cidrs: Option<Vec<String>>,
}

/// Marks a field that is present in the JSON (even as `null`) as `Some`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Fields of a new key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewKey {
    pub name: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scopes: Vec<Scope>,
    #[serde(default = "yes")]
    pub recoverable: bool,
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
    /// IP ranges (CIDR, IPv4 or IPv6, or single addresses) the key may be used from, at most
    /// [`MAX_ALLOWED_CIDRS`]; empty or absent for anywhere.
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
}

fn yes() -> bool {
    true
}

impl NewKey {
    /// A key with only a name, every other field as the API defaults it when left out.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            project: None,
            expires_at: None,
            scopes: vec![],
            recoverable: yes(),
            rate_limit_per_minute: None,
            allowed_cidrs: vec![],
        }
    }
}

pub const MAX_RATE_LIMIT_PER_MINUTE: u32 = 1_000_000;
/// The most IP ranges one key's allowlist may hold.
pub const MAX_ALLOWED_CIDRS: usize = 100;
pub const MAX_GRACE_SECONDS: u64 = 7 * 24 * 3600;

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn audit_names_are_the_same_on_the_wire_and_in_storage() {
        for action in AuditAction::iter() {
            assert_eq!(action.to_value(), action.as_str());
            let wire = serde_json::to_value(action).unwrap();
            assert_eq!(wire, action.as_str());
            assert_eq!(serde_json::from_value::<AuditAction>(wire).unwrap(), action);
        }
        for kind in ActorKind::iter() {
            assert_eq!(kind.to_value(), kind.as_str());
            assert_eq!(
                serde_json::from_value::<ActorKind>(serde_json::to_value(kind).unwrap()).unwrap(),
                kind
            );
        }
        assert_eq!(AuditAction::KeyCreated.as_str(), "key.created");
        assert_eq!(ActorKind::System.as_str(), "system");
    }

    #[test]
    fn verify_codes_are_valid_or_the_gates_rejections() {
        assert_eq!(serde_json::to_value(VerifyCode::Valid).unwrap(), "valid");
        let rejected = VerifyCode::Rejected(KeyRejection::NotFound);
        assert_eq!(serde_json::to_value(rejected).unwrap(), "not_found");
        assert_eq!(
            serde_json::from_value::<VerifyCode>("expired".into()).unwrap(),
            VerifyCode::Rejected(KeyRejection::Expired)
        );
    }

    #[test]
    fn scopes_travel_as_their_names_and_anything_else_is_unknown() {
        assert_eq!(serde_json::to_value(Scope::KeysRead).unwrap(), "keys:read");
        assert_eq!(
            serde_json::from_value::<Scope>("keys:verify".into()).unwrap(),
            Scope::KeysVerify
        );
        assert_eq!(
            serde_json::from_value::<Scope>("keys:admin".into()).unwrap(),
            Scope::Unknown
        );
        assert_eq!(Scope::parse("unknown"), None);
        assert_eq!(SortField::parse("last_used"), Some(SortField::LastUsed));
        assert_eq!(KeyFilter::NeverUsed.as_str(), "never_used");
    }
}

#[cfg(test)]
mod totals {
    use super::KeyPage;

    fn page(total: u64, total_is_estimate: bool) -> KeyPage {
        KeyPage {
            items: vec![],
            total,
            total_is_estimate,
            page: 1,
            page_size: 25,
        }
    }

    #[test]
    fn exact_totals_are_grouped() {
        assert_eq!(page(0, false).total_text(), "0");
        assert_eq!(page(999, false).total_text(), "999");
        assert_eq!(page(1_000, false).total_text(), "1,000");
        assert_eq!(page(1_234_567, false).total_text(), "1,234,567");
    }

    #[test]
    fn estimates_keep_two_significant_digits() {
        assert_eq!(page(10_001, true).total_text(), "about 10,000");
        assert_eq!(page(123_456, true).total_text(), "about 120,000");
        assert_eq!(page(1_250_000, true).total_text(), "about 1,300,000");
        assert_eq!(page(99_960, true).total_text(), "about 100,000");
    }
}

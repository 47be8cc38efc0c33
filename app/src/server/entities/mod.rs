//! sea-orm entities, one module per table of `migration/`.

pub mod api_keys;
pub mod audit_events;
pub mod key_expiry_notices;
pub mod key_policy;
pub mod key_usage_daily;
pub mod login_attempts;
pub mod sessions;
pub mod users;
pub mod vault_meta;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod webhook_messages;

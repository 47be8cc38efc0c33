//! sea-orm entities, one module per table of `migration/`.

pub mod api_keys;
pub mod audit_events;
pub mod key_policy;
pub mod key_usage_daily;
pub mod login_attempts;
pub mod sessions;
pub mod users;
pub mod vault_meta;

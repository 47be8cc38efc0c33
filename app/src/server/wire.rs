//! Stored rows turned into what the wire shows: every model-to-wire conversion, in one place.
//! Keys and audit events depend on who is looking (an API key sees less about keys outside its
//! rights); admins on who is asking (`is_self`).

use crate::api::{
    types::{ActorKind, AdminItem, AuditItem, CreatorKind, KeyItem, KeyStatus, SignedIn},
    webhooks::types::WebhookEndpoint,
};
use crate::server::{
    caller::AdminPrincipal,
    clock::from_ms,
    entities::{
        api_keys::{self, scopes_from_column},
        audit_events, users, webhook_endpoints,
    },
    keys::bounds::{KeyBounds, KeyLimits},
    vault::format::mask,
};

/// How an admin shows to an API key that may not act on the key in question.
pub const ADMIN_REDACTED: &str = "Admin";

pub fn status(model: &api_keys::Model, now_ms: i64) -> KeyStatus {
    if model.disabled_at.is_some() {
        KeyStatus::Disabled
    } else if model.expires_at.is_some_and(|at| at <= now_ms) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

pub fn to_item(model: &api_keys::Model, now_ms: i64) -> KeyItem {
    KeyItem {
        id: model.id.clone(),
        name: model.name.clone(),
        project: model.project.clone(),
        masked: mask(&model.start, &model.last4),
        created_at: from_ms(model.created_at),
        created_by: model.created_by_label.clone(),
        created_by_kind: if model.created_by_kind == ActorKind::Key {
            CreatorKind::Key
        } else {
            CreatorKind::User
        },
        last_used_at: model.last_used_at.map(from_ms),
        last_used_ip: model.last_used_ip.clone(),
        last_used_user_agent: model.last_used_user_agent.clone(),
        usage_count: model.usage_count,
        expires_at: model.expires_at.map(from_ms),
        disabled_at: model.disabled_at.map(from_ms),
        status: status(model, now_ms),
        scopes: scopes_from_column(&model.scopes),
        recoverable: model.recoverable,
        previous_secret_expires_at: model
            .previous_secret_expires_at
            .filter(|at| *at > now_ms)
            .map(from_ms),
        rate_limit_per_minute: model.rate_limit_per_minute.map(|n| n as u32),
        leaked_at: model.leaked_at.map(from_ms),
        leaked_url: model.leaked_url.clone(),
        allowed_cidrs: model
            .allowed_cidrs
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        created_keys: None,
    }
}

/// True when `viewer` (an API key's bounds; `None` for an admin) may see who used and changed
/// `target`: its last-used address and user agent, and the admins behind it — only for keys it
/// may act on.
pub fn sees_details(viewer: Option<&KeyBounds>, target: &api_keys::Model) -> bool {
    viewer.is_none_or(|b| b.may_act_on(&KeyLimits::of(target)).is_ok())
}

/// A key as `viewer` may see it: a key outside the viewer's rights shows no address (last used,
/// or its allowlist), no user agent and no admin's name.
pub fn to_item_for(model: &api_keys::Model, now_ms: i64, viewer: Option<&KeyBounds>) -> KeyItem {
    let mut item = to_item(model, now_ms);
    if !sees_details(viewer, model) {
        item.last_used_ip = None;
        item.last_used_user_agent = None;
        item.allowed_cidrs = Vec::new();
        if item.created_by_kind == CreatorKind::User {
            item.created_by = ADMIN_REDACTED.to_owned();
        }
    }
    item
}

/// One audit event as the wire shows it; `details` false hides addresses and admins' names.
pub fn to_audit_item(event: audit_events::Model, details: bool) -> AuditItem {
    let admin = event.actor_kind == ActorKind::User;
    AuditItem {
        id: event.id,
        at: from_ms(event.at),
        actor_label: if admin && !details {
            ADMIN_REDACTED.to_owned()
        } else {
            event.actor_label
        },
        actor_kind: event.actor_kind,
        action: event.action,
        ip: event.ip.filter(|_| details),
        key_id: event.key_id,
        key_name: event.key_name,
        detail: {
            let mut detail: serde_json::Value =
                serde_json::from_str(&event.detail).unwrap_or(serde_json::Value::Null);
            // A key's IP ranges are addresses too.
            if let (false, Some(map)) = (details, detail.as_object_mut()) {
                map.remove("allowed_cidrs");
            }
            detail
        },
    }
}

/// An admin as the Admins page shows it to the admin `self_id`.
pub fn to_admin_item(user: &users::Model, self_id: &str) -> AdminItem {
    AdminItem {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        created_at: from_ms(user.created_at),
        last_login_at: user.last_login_at.map(from_ms),
        disabled: user.disabled_at.is_some(),
        is_self: user.id == self_id,
        role: user.role(),
    }
}

/// Who signed in, from their row (login, setup).
pub fn to_signed_in(user: &users::Model) -> SignedIn {
    SignedIn {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role(),
    }
}

/// Who is signed in, from the session's admin (`auth.session`).
pub fn admin_signed_in(admin: &AdminPrincipal) -> SignedIn {
    SignedIn {
        id: admin.user_id.clone(),
        email: admin.email.clone(),
        name: admin.name.clone(),
        role: admin.role,
    }
}

/// A webhook endpoint as the wire shows it (never its secret).
pub fn to_webhook(model: &webhook_endpoints::Model) -> WebhookEndpoint {
    WebhookEndpoint {
        id: model.id.clone(),
        url: model.url.clone(),
        description: model.description.clone(),
        events: crate::server::webhooks::events_from_column(&model.events),
        disabled_at: model.disabled_at.map(from_ms),
        disabled_reason: model.disabled_reason.clone(),
        failing_since: model.failing_since.map(from_ms),
        previous_secret_expires_at: model.previous_secret_expires_at.map(from_ms),
        created_at: from_ms(model.created_at),
        created_by: model.created_by.clone(),
        updated_at: from_ms(model.updated_at),
    }
}

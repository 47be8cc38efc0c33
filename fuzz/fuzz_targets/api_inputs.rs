//! Decoding every server function's JSON input, then the validation the server applies to it:
//! never a panic, and validated values always respect the documented limits.
#![no_main]

use app::api::{admins, auth, keys, validate};
use libfuzzer_sys::fuzz_target;

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fn check_name(raw: &str) {
    if let Ok(name) = validate::name("name", raw) {
        assert!(!name.is_empty() && name.chars().count() <= validate::NAME_MAX);
        assert!(!name.chars().any(char::is_control));
        assert_eq!(name, name.trim());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(f) = decode::<keys::ListKeys>(data) {
        if let Ok(Some(q)) = validate::query(f.query.as_deref()) {
            assert!(q.chars().count() <= validate::QUERY_MAX);
        }
    }
    if let Some(f) = decode::<keys::CreateKey>(data) {
        check_name(&f.key.name);
        let _ = validate::project(f.key.project.as_deref());
        let _ = validate::scopes(&f.key.scopes);
    }
    if let Some(f) = decode::<keys::UpdateKey>(data) {
        if let Some(name) = &f.patch.name {
            check_name(name);
        }
    }
    let _ = decode::<keys::GetKey>(data);
    let _ = decode::<keys::DeleteKey>(data);
    let _ = decode::<keys::BulkDeleteKeys>(data);
    let _ = decode::<keys::RollKey>(data);
    let _ = decode::<keys::EnableKey>(data);
    let _ = decode::<keys::DisableKey>(data);
    let _ = decode::<keys::RevealKey>(data);
    let _ = decode::<keys::KeyUsage>(data);
    let _ = decode::<keys::KeyHistory>(data);
    let _ = decode::<keys::VerifyKey>(data);
    let _ = decode::<keys::Whoami>(data);
    if let Some(f) = decode::<auth::Login>(data) {
        let _ = validate::email(&f.email);
    }
    if let Some(f) = decode::<auth::Setup>(data) {
        let _ = validate::email(&f.email);
        check_name(&f.name);
        let _ = validate::password(&f.password);
    }
    let _ = decode::<auth::ChangePassword>(data);
    let _ = decode::<auth::Logout>(data);
    let _ = decode::<auth::SessionInfo>(data);
    if let Some(f) = decode::<admins::CreateAdmin>(data) {
        let _ = validate::email(&f.email);
        check_name(&f.name);
    }
    let _ = decode::<admins::ListAdmins>(data);
    let _ = decode::<admins::SetAdminDisabled>(data);
});

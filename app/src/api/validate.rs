//! Input rules shared by the server (which enforces them) and the client (which shows them inline).

use chrono::{DateTime, Utc};

use super::{
    error::ApiError,
    types::{Scope, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RATE_LIMIT_PER_MINUTE},
};

pub const NAME_MAX: usize = 100;
pub const PROJECT_MAX: usize = 253;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 1024;
pub const EMAIL_MAX: usize = 254;
pub const QUERY_MAX: usize = 200;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A key or admin name: 1–100 characters after trimming, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ApiError::validation(field, "Name is required."));
    }
    if trimmed.chars().count() > NAME_MAX {
        return Err(ApiError::validation(
            field,
            format!("Name must be at most {NAME_MAX} characters."),
        ));
    }
    if has_control(trimmed) {
        return Err(ApiError::validation(
            field,
            "Name must not contain control characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

/// An optional project label (e.g. a shop's domain), at most 253 characters.
pub fn project(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(trimmed) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > PROJECT_MAX {
        return Err(ApiError::validation(
            field,
            format!("Project must be at most {PROJECT_MAX} characters."),
        ));
    }
    if has_control(trimmed) {
        return Err(ApiError::validation(
            field,
            "Project must not contain control characters.",
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

pub fn expiry(
    field: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    match expires_at {
        Some(at) if at <= now => Err(ApiError::validation(field, "Expiry must be in the future.")),
        other => Ok(other),
    }
}

/// Deduplicated, sorted scopes from the fixed set.
pub fn scopes(field: &str, scopes: &[Scope]) -> Result<Vec<Scope>, ApiError> {
    if scopes.contains(&Scope::Unknown) {
        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::validation(
            field,
            format!("Scopes must be among {}.", known.join(", ")),
        ));
    }
    let mut out = scopes.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

/// A per-minute request limit: none, or 1 to [`MAX_RATE_LIMIT_PER_MINUTE`].
pub fn rate_limit(field: &str, value: Option<u32>) -> Result<Option<u32>, ApiError> {
    match value {
        Some(0) => Err(ApiError::validation(
            field,
            "Rate limit must be at least 1 request per minute (or none).",
        )),
        Some(n) if n > MAX_RATE_LIMIT_PER_MINUTE => Err(ApiError::validation(
            field,
            format!("Rate limit must be at most {MAX_RATE_LIMIT_PER_MINUTE} per minute."),
        )),
        other => Ok(other),
    }
}

/// A page number: from 1 (the default), fitting in 63 bits.
pub fn page(field: &str, value: Option<u64>) -> Result<u64, ApiError> {
    match value.unwrap_or(1) {
        n if n == 0 || n > i64::MAX as u64 => Err(ApiError::validation(
            field,
            "Page numbers start at 1 (and fit in 63 bits).",
        )),
        n => Ok(n),
    }
}

/// Rows per page: 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] when absent.
pub fn page_size(field: &str, value: Option<u64>) -> Result<u64, ApiError> {
    match value.unwrap_or(DEFAULT_PAGE_SIZE) {
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        _ => Err(ApiError::validation(
            field,
            format!("Page size must be between 1 and {MAX_PAGE_SIZE}."),
        )),
    }
}

pub fn email(field: &str, raw: &str) -> Result<String, ApiError> {
    let trimmed = raw.trim();
    let valid = trimmed.len() <= EMAIL_MAX
        && !has_control(trimmed)
        && !trimmed.contains(char::is_whitespace)
        && matches!(trimmed.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::validation(field, "Enter a valid email address."))
    }
}

pub fn password(field: &str, raw: &str) -> Result<(), ApiError> {
    let len = raw.chars().count();
    if len < PASSWORD_MIN {
        return Err(ApiError::validation(
            field,
            format!("Password must be at least {PASSWORD_MIN} characters."),
        ));
    }
    if len > PASSWORD_MAX {
        return Err(ApiError::validation(
            field,
            format!("Password must be at most {PASSWORD_MAX} characters."),
        ));
    }
    Ok(())
}

/// A search query: trimmed, bounded, control characters refused.
pub fn query(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(trimmed) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > QUERY_MAX || has_control(trimmed) {
        return Err(ApiError::validation(
            field,
            format!("Search must be at most {QUERY_MAX} printable characters."),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  shop  ").unwrap(), "shop");
        assert_eq!(name("name", " ").unwrap_err().field(), Some("name"));
        assert!(name("name", &"é".repeat(100)).is_ok());
        assert!(name("name", &"é".repeat(101)).is_err());
        assert!(name("name", "a\u{0}b").is_err());
        assert!(name("name", "a\nb").is_err());
        assert_eq!(name("name", "Шоп 🛒").unwrap(), "Шоп 🛒");
    }

    #[test]
    fn scopes_come_from_the_fixed_set() {
        let decoded: Vec<Scope> =
            serde_json::from_str(r#"["keys:write","keys:read","keys:read"]"#).unwrap();
        assert_eq!(
            scopes("scopes", &decoded).unwrap(),
            [Scope::KeysRead, Scope::KeysWrite]
        );
        let decoded: Vec<Scope> = serde_json::from_str(r#"["keys:admin"]"#).unwrap();
        assert_eq!(
            scopes("scopes", &decoded).unwrap_err().field(),
            Some("scopes")
        );
    }

    #[test]
    fn emails_need_a_domain() {
        assert!(email("email", "a@b.co").is_ok());
        assert!(email("email", "a@b").is_err());
        assert!(email("email", "@b.co").is_err());
        assert_eq!(
            email("login", "a b@c.de").unwrap_err().field(),
            Some("login")
        );
    }
}

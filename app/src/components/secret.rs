//! Revealing and copying a key's secret, shared by the list rows and the details page.

use crate::api::{keys::reveal_key, ApiError};

use super::{clipboard, session::use_error_reporter, toast::use_toasts};

/// What revealing showed: the secret, or why it cannot be shown (a non-recoverable key).
pub type Revealed = Result<String, String>;

/// Reveals a secret through the audited reveal function.
pub async fn reveal(id: String) -> Result<Revealed, ApiError> {
    match reveal_key(id).await {
        Ok(s) => Ok(Ok(s.secret)),
        Err(ApiError::NotRecoverable) => Ok(Err(ApiError::NotRecoverable.to_string())),
        Err(e) => Err(e),
    }
}

/// Copies a key's secret to the clipboard (revealing it first unless `known`), then says
/// "Copied".
pub fn use_copy_secret() -> impl Fn(String, Option<Revealed>) + Copy {
    let toasts = use_toasts();
    let report = use_error_reporter();
    move |id: String, known: Option<Revealed>| {
        leptos::task::spawn_local(async move {
            let revealed = match known {
                Some(r) => r,
                None => match reveal(id).await {
                    Ok(r) => r,
                    Err(e) => return report(e, None),
                },
            };
            let result = match revealed {
                Ok(secret) => clipboard::copy(&secret).await,
                Err(why) => Err(why),
            };
            match result {
                Ok(()) => toasts.info("Copied"),
                Err(e) => toasts.error(&ApiError::BadRequest(e), None),
            }
        });
    }
}

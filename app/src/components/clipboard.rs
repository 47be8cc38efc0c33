//! Writing to the system clipboard through web-sys.

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::toast::Toasts;
use crate::api::ApiError;

pub async fn copy(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| "The browser refused clipboard access.".to_owned())
}

/// Copies `text`, then says "Copied" (and marks `copied`), or shows why it could not.
pub fn copy_and_say(text: String, toasts: Toasts, copied: Option<RwSignal<bool>>) {
    leptos::task::spawn_local(async move {
        match copy(&text).await {
            Ok(()) => {
                if let Some(copied) = copied {
                    copied.set(true);
                }
                toasts.info("Copied");
            }
            Err(e) => toasts.error(&ApiError::BadRequest(e), None),
        }
    });
}

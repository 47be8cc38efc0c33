//! Form fields with their label and inline validation message.

use leptos::prelude::*;

use crate::api::ApiError;

/// The message for `field` if `error` is a validation error naming it.
pub fn message_for(error: Option<ApiError>, field: &str) -> Option<String> {
    match error {
        Some(ApiError::Validation { field: f, message }) if f == field => Some(message),
        _ => None,
    }
}

/// An error that no field shows (shown at the top of the form instead).
pub fn form_message(error: Option<ApiError>, fields: &[&str]) -> Option<String> {
    match error {
        Some(ApiError::Validation { ref field, .. }) if fields.contains(&field.as_str()) => None,
        Some(e) => Some(e.to_string()),
        None => None,
    }
}

#[component]
pub fn FieldError(#[prop(into)] message: Signal<Option<String>>, id: String) -> impl IntoView {
    view! {
        <p class="field-error" id=id role="alert" class:hidden=move || message.get().is_none()>
            {move || message.get().unwrap_or_default()}
        </p>
    }
}

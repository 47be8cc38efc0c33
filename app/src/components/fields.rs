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

/// A labelled input whose validation message (from `errors`, when it names `name`) shows
/// under it and is linked with `aria-describedby`.
#[component]
pub fn TextField(
    label: &'static str,
    /// The API field a validation error names.
    name: &'static str,
    /// Makes element ids unique on the page.
    form: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Option<ApiError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] min: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let error_id = format!("{form}-{name}-error");
    let message = Signal::derive(move || message_for(errors.get(), name));
    view! {
        <div class="field">
            <label class="field-label">
                <span>{label}</span>
                <input type=kind required=required autocomplete=autocomplete placeholder=placeholder
                    maxlength=maxlength minlength=minlength min=min
                    aria-describedby=error_id.clone()
                    aria-invalid=move || message.get().is_some().to_string()
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
            {hint.map(|h| view! { <small class="hint">{h}</small> })}
            <FieldError message=message id=error_id/>
        </div>
    }
}

//! Form fields with their label and inline validation message.

use leptos::{html, prelude::*};

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
/// under it and is linked with `aria-describedby`. The field takes focus when its message
/// appears, and the message goes as soon as the value is edited.
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
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |was_shown: Option<bool>| {
        let shown = message.get().is_some();
        if shown && was_shown != Some(true) {
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
            }
        }
        shown
    });
    let on_input = move |ev: leptos::ev::Event| {
        value.set(event_target_value(&ev));
        if message.get_untracked().is_some() {
            errors.set(None);
        }
    };
    view! {
        <div class="field">
            <label class="field-label">
                <span>{label}</span>
                <input node_ref=input type=kind required=required autocomplete=autocomplete placeholder=placeholder
                    maxlength=maxlength minlength=minlength min=min
                    aria-describedby=error_id.clone()
                    aria-invalid=move || message.get().is_some().to_string()
                    prop:value=move || value.get() on:input=on_input/>
            </label>
            {hint.map(|h| view! { <small class="hint">{h}</small> })}
            <FieldError message=message id=error_id/>
        </div>
    }
}

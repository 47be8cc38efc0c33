//! `/settings`: the key policy — the longest a key may live and the expiry new keys get.

use leptos::prelude::*;

use crate::{
    api::{
        settings::{get_settings, UpdateSettings},
        types::{KeyPolicy, KeyPolicyPatch, LeakResponse, MAX_POLICY_DAYS},
        ApiError,
    },
    components::{
        fields::{form_message, TextField},
        reauth::sudo_action,
        session::{use_error_reporter, use_session},
        time,
        toast::use_toasts,
    },
};

/// A day count typed into a field: empty for none.
fn days(field: &str, text: &str) -> Result<Option<u32>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| {
        ApiError::validation(
            field,
            "Enter a whole number of days, or leave empty for none.",
        )
    })
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    let session = use_session();
    let save = sudo_action::<UpdateSettings>();
    // Loaded once; afterwards the form shows what a save answered. A refused save leaves
    // what was typed in place, with the reason under its field.
    let loaded = LocalResource::new(get_settings);
    let current = RwSignal::new(None::<KeyPolicy>);
    let max = RwSignal::new(String::new());
    let default = RwSignal::new(String::new());
    let leak = RwSignal::new(LeakResponse::Disable);
    let error = RwSignal::new(None::<ApiError>);
    let show = move |p: KeyPolicy| {
        max.set(
            p.max_lifetime_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        default.set(
            p.default_expiry_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        leak.set(p.leak_response);
        current.set(Some(p));
    };
    Effect::new(move |_| match loaded.get() {
        Some(Ok(p)) => show(p),
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(p)) => {
            show(p);
            toasts.info("Key policy saved".to_owned());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let parsed = days("max_lifetime_days", &max.get_untracked())
            .and_then(|m| days("default_expiry_days", &default.get_untracked()).map(|d| (m, d)));
        match parsed {
            Ok((max_lifetime_days, default_expiry_days)) => {
                save.dispatch(UpdateSettings {
                    patch: KeyPolicyPatch {
                        max_lifetime_days: Some(max_lifetime_days),
                        default_expiry_days: Some(default_expiry_days),
                        leak_response: Some(leak.get_untracked()),
                    },
                });
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let fields = ["max_lifetime_days", "default_expiry_days"];
    view! {
        <section class="page settings-page">
            <div class="page-head"><h1>"Settings"</h1></div>
            <form class="card form key-policy" on:submit=submit novalidate>
                <h2>"Key policy"</h2>
                <p class="muted small">
                    "Enforced by the server whenever a key is created, edited or regenerated, whoever asks. Keys that already exist keep their expiry until then."
                </p>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &fields).is_none()>
                    {move || form_message(error.get(), &fields).unwrap_or_default()}
                </p>
                <fieldset class="field" disabled=move || !session.can_manage()>
                    <TextField label="Maximum lifetime (days)" name="max_lifetime_days" form="policy" kind="number" min="1"
                        hint=format!("No key may expire later than this many days ahead, nor never. Empty: no limit (at most {MAX_POLICY_DAYS}).")
                        value=max errors=error/>
                    <TextField label="Default expiry (days)" name="default_expiry_days" form="policy" kind="number" min="1"
                        hint="A key created without an expiry expires this many days later. Empty: none (or the maximum, if set)."
                        value=default errors=error/>
                </fieldset>
                <fieldset class="field choices" disabled=move || !session.can_manage()>
                    <legend>"When a key is reported leaked"</legend>
                    {LeakResponse::ALL.into_iter().map(|r| view! {
                        <label class="check">
                            <input type="radio" name="leak-response" prop:checked=move || leak.get() == r
                                on:change=move |_| leak.set(r)/>
                            <span>{r.label()}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                {move || current.get().and_then(|p| p.updated_at.map(|at| view! {
                    <p class="muted small">{format!("Last changed {} by {}", time::date_time(at), p.updated_by.unwrap_or_default())}</p>
                }))}
                <Show when=move || session.can_manage()>
                    <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>"Save policy"</button>
                </Show>
            </form>
        </section>
    }
}

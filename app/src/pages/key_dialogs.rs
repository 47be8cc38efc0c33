//! Dialogs shared by the keys pages: add a key, confirm a deletion, show a new secret once.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::{
    api::{
        keys::create_key,
        types::{CreatedKey, NewKey, Scope},
        validate, ApiError,
    },
    components::{
        clipboard,
        fields::{form_message, message_for, FieldError, TextField},
        icons,
        modal::Modal,
        time,
        toast::use_toasts,
    },
};

/// A full secret, shown once, with a Copy button.
#[component]
pub fn SecretOnce(secret: String) -> impl IntoView {
    let toasts = use_toasts();
    let copied = RwSignal::new(false);
    let to_copy = secret.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        leptos::task::spawn_local(async move {
            match clipboard::copy(&text).await {
                Ok(()) => {
                    copied.set(true);
                    toasts.info("Copied");
                }
                Err(e) => toasts.error(&ApiError::BadRequest(e), None),
            }
        });
    };
    view! {
        <div class="secret-once">
            <p class="warning"><strong>"Store it now: treat it like a password."</strong>
                " This is the only time the full key is shown here."</p>
            <div class="secret-row">
                <code class="secret-value" aria-label="New secret key">{secret}</code>
                <button type="button" class="btn btn-secondary" on:click=copy>
                    <icons::Copy/>{move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

/// Expiry choices of the Add New dialog.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ExpiryChoice {
    Never,
    Days(u32),
    Date,
}

impl ExpiryChoice {
    fn parse(s: &str) -> Self {
        match s {
            "30" => Self::Days(30),
            "90" => Self::Days(90),
            "365" => Self::Days(365),
            "date" => Self::Date,
            _ => Self::Never,
        }
    }
}

/// The end of a local calendar day (`YYYY-MM-DD`), as UTC.
pub fn end_of_local_day(date: &str) -> Option<DateTime<Utc>> {
    let mut parts = date.split('-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let js = js_sys::Date::new_with_year_month_day_hr_min_sec(y as u32, m - 1, d, 23, 59, 59);
    let ms = js.get_time();
    if ms.is_nan() {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

/// `YYYY-MM-DD` of a moment in local time (for date inputs).
pub fn local_day(at: DateTime<Utc>) -> String {
    let js = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    format!(
        "{:04}-{:02}-{:02}",
        js.get_full_year(),
        js.get_month() + 1,
        js.get_date()
    )
}

#[component]
pub fn ScopeChecks(selected: RwSignal<Vec<Scope>>) -> impl IntoView {
    view! {
        <fieldset class="field scopes">
            <legend>"Scopes"</legend>
            {Scope::ALL.into_iter().map(|scope| view! {
                <label class="check">
                    <input type="checkbox"
                        prop:checked=move || selected.get().contains(&scope)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| {
                                s.retain(|x| *x != scope);
                                if on { s.push(scope); }
                            });
                        }/>
                    <span><code>{scope.as_str()}</code>" — "{scope.description()}</span>
                </label>
            }).collect_view()}
            <small class="hint">"A key without scopes can still test its connection (whoami)."</small>
        </fieldset>
    }
}

#[component]
pub fn AddKeyDialog(open: RwSignal<bool>, on_created: Callback<CreatedKey>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let expiry = RwSignal::new(ExpiryChoice::Never);
    let expiry_date = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let recoverable = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedKey>);

    let reset = move || {
        name.set(String::new());
        project.set(String::new());
        expiry.set(ExpiryChoice::Never);
        expiry_date.set(String::new());
        scopes.set(Vec::new());
        recoverable.set(true);
        error.set(None);
        created.set(None);
    };
    let close = move || {
        open.set(false);
    };
    let on_close = Callback::new(move |_| {
        if let Some(done) = created.get_untracked() {
            on_created.run(done);
        }
        reset();
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let now = chrono::DateTime::from_timestamp_millis(time::now_ms()).unwrap_or_default();
        if let Err(e) = validate::name("name", &name.get_untracked()) {
            error.set(Some(e));
            return;
        }
        let expires_at = match expiry.get_untracked() {
            ExpiryChoice::Never => None,
            ExpiryChoice::Days(d) => Some(now + chrono::Duration::days(i64::from(d))),
            ExpiryChoice::Date => match end_of_local_day(&expiry_date.get_untracked()) {
                Some(at) => Some(at),
                None => {
                    error.set(Some(ApiError::validation(
                        "expires_at",
                        "Choose an expiry date.",
                    )));
                    return;
                }
            },
        };
        let input = NewKey {
            name: name.get_untracked(),
            project: Some(project.get_untracked()).filter(|p| !p.trim().is_empty()),
            expires_at,
            scopes: scopes.get_untracked(),
            recoverable: recoverable.get_untracked(),
            rate_limit_per_minute: None,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match create_key(input).await {
                Ok(done) => created.set(Some(done)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let field = move |f: &'static str| Signal::derive(move || message_for(error.get(), f));
    let title = Signal::derive(move || {
        if created.get().is_some() {
            "API key created".to_owned()
        } else {
            "Add New API key".to_owned()
        }
    });
    view! {
        <Modal open=open title=title on_close=on_close>
            {move || match created.get() {
                Some(done) => view! {
                    <div class="dialog-body">
                        <p>"“"{done.key.name.clone()}"” is ready."</p>
                        <SecretOnce secret=done.secret.clone()/>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-primary" on:click=move |_| close()>"Done"</button>
                        </div>
                    </div>
                }.into_any(),
                None => view! {
                    <form class="form dialog-body" on:submit=submit novalidate>
                        <p class="form-error" role="alert"
                            class:hidden=move || form_message(error.get(), &["name", "project", "expires_at", "scopes"]).is_none()>
                            {move || form_message(error.get(), &["name", "project", "expires_at", "scopes"]).unwrap_or_default()}
                        </p>
                        <TextField label="Name" name="name" form="add" required=true maxlength=validate::NAME_MAX placeholder="e.g. WooCommerce shop" value=name errors=error/>
                        <TextField label="Project" name="project" form="add" maxlength=validate::PROJECT_MAX placeholder="e.g. licenseshipper.com" value=project errors=error/>
                        <label class="field">
                            <span>"Expiry"</span>
                            <select on:change=move |ev| expiry.set(ExpiryChoice::parse(&event_target_value(&ev)))>
                                <option value="never" selected=move || expiry.get() == ExpiryChoice::Never>"Never"</option>
                                <option value="30">"In 30 days"</option>
                                <option value="90">"In 90 days"</option>
                                <option value="365">"In 365 days"</option>
                                <option value="date">"On a date…"</option>
                            </select>
                        </label>
                        <Show when=move || expiry.get() == ExpiryChoice::Date>
                            <label class="field">
                                <span>"Expiry date"</span>
                                <input type="date" aria-describedby="add-expiry-error"
                                    prop:value=move || expiry_date.get() on:input=move |ev| expiry_date.set(event_target_value(&ev))/>
                            </label>
                        </Show>
                        <FieldError message=field("expires_at") id="add-expiry-error".into()/>
                        <ScopeChecks selected=scopes/>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || recoverable.get()
                                on:change=move |ev| recoverable.set(event_target_checked(&ev))/>
                            <span>"Recoverable"</span>
                        </label>
                        <small class="hint">"Keeps an encrypted copy so admins can reveal and copy the key later. Off: only a hash is stored and the key is shown once."</small>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-ghost" on:click=move |_| close()>"Cancel"</button>
                            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Create key"</button>
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}

/// The cascade checkbox's label for a key that `reach` keys were created from (empty: none).
pub fn cascade_label(verb: &str, reach: u64) -> String {
    match reach {
        0 => String::new(),
        1 => format!("Also {verb} the key created from this key"),
        n => format!("Also {verb} the {n} keys created from this key"),
    }
}

/// A yes/no question before something destructive; with `cascade` and a non-empty label, a
/// checkbox to do the same to the keys the target created (unchecked each time it opens).
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] message: Signal<String>,
    confirm_label: &'static str,
    on_confirm: Callback<()>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(optional)] cascade: Option<RwSignal<bool>>,
    #[prop(optional, into)] cascade_label: Option<Signal<String>>,
) -> impl IntoView {
    Effect::new(move |_| {
        if open.get() {
            if let Some(cascade) = cascade {
                cascade.set(false);
            }
        }
    });
    view! {
        <Modal open=open title=title>
            <div class="dialog-body">
                <p>{move || message.get()}</p>
                {move || cascade.zip(cascade_label).filter(|(_, label)| !label.get().is_empty()).map(|(checked, label)| view! {
                    <label class="check">
                        <input type="checkbox" bind:checked=checked/>
                        {move || label.get()}
                    </label>
                })}
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="button" class="btn btn-danger" disabled=move || busy.get()
                        on:click=move |_| on_confirm.run(())>{confirm_label}</button>
                </div>
            </div>
        </Modal>
    }
}

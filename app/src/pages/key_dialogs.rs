//! Dialogs shared by the keys pages: add a key, confirm a deletion, show a new secret once.

use leptos::prelude::*;

use crate::{
    api::{
        keys::{get_key, CreateKey, DeleteKey, Whoami},
        settings::get_settings,
        types::{CreatedKey, KeyItem, NewKey, Scope, MAX_ALLOWED_CIDRS},
        validate, ApiError,
    },
    components::{
        clipboard,
        fields::{form_message, message_for, FieldError, TextField},
        icons,
        modal::Modal,
        reauth::SudoAction,
        session::use_error_reporter,
        time,
        toast::use_toasts,
    },
};

/// A new secret, shown once, with a Copy button. The wording says whether the key can be
/// revealed again later (recoverable) or never.
#[component]
pub fn SecretOnce(secret: String, recoverable: bool, copied: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let to_copy = secret.clone();
    let copy = move |_| clipboard::copy_and_say(to_copy.clone(), toasts, Some(copied));
    let later = if recoverable {
        " You can reveal it later on its page."
    } else {
        " This is the only time it is shown: it cannot be revealed later."
    };
    view! {
        <div class="secret-once">
            <p class="warning"><strong>"Store it now: treat it like a password."</strong>{later}</p>
            <div class="secret-row">
                <code class="secret-value" aria-label="New secret key">{secret}</code>
                <button type="button" class="btn btn-secondary" on:click=copy>
                    <icons::Copy/>{move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

/// Guards a once-only secret on screen: closing before it was copied asks first.
#[derive(Clone, Copy)]
pub struct OnceGuard {
    pub copied: RwSignal<bool>,
    pub asking: RwSignal<bool>,
    /// The admin chose to close without copying.
    pub let_go: RwSignal<bool>,
    /// True while closing should ask: a secret that cannot be revealed again, not yet copied.
    pub hold: Signal<bool>,
}

impl OnceGuard {
    pub fn new(shown: Memo<Option<CreatedKey>>) -> Self {
        let copied = RwSignal::new(false);
        let let_go = RwSignal::new(false);
        Self {
            copied,
            asking: RwSignal::new(false),
            let_go,
            hold: Signal::derive(move || {
                shown.with(|s| s.as_ref().is_some_and(|k| !k.key.recoverable))
                    && !copied.get()
                    && !let_go.get()
            }),
        }
    }

    pub fn reset(&self) {
        self.copied.set(false);
        self.asking.set(false);
        self.let_go.set(false);
    }
}

/// "Test connection": `whoami` with the new key, as curl, WordPress/WooCommerce PHP and
/// JavaScript; copying one counts as copying the secret.
#[component]
fn TestConnection(secret: String, copied: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let url = format!("{origin}{}", <Whoami as server_fn::ServerFn>::PATH);
    let snippets = [
        (
            "curl",
            format!("curl -X POST {url} -H \"Authorization: Bearer {secret}\""),
        ),
        (
            "PHP (WordPress, WooCommerce)",
            format!(
                "$r = wp_remote_post('{url}', ['headers' => ['Authorization' => 'Bearer {secret}']]);"
            ),
        ),
        (
            "Node.js (server-side)",
            format!(
                "const r = await fetch('{url}', {{ method: 'POST', headers: {{ Authorization: 'Bearer {secret}' }} }});"
            ),
        ),
    ];
    view! {
        <details class="test-connection">
            <summary>"Test connection"</summary>
            {snippets.into_iter().map(|(label, code)| {
                let text = code.clone();
                let copy = move |_| clipboard::copy_and_say(text.clone(), toasts, Some(copied));
                let id = format!("snippet-{}", label.split_whitespace().next().unwrap_or("code").to_lowercase());
                view! {
                    <div class="snippet">
                        <div class="snippet-head">
                            <label for=id.clone()>{label}</label>
                            <button type="button" class="btn btn-ghost btn-small" aria-label=format!("Copy {label}") on:click=copy>
                                <icons::Copy/>"Copy"
                            </button>
                        </div>
                        <textarea id=id class="snippet-code" readonly rows="3" spellcheck="false" prop:value=code></textarea>
                    </div>
                }
            }).collect_view()}
        </details>
    }
}

/// The new secret and Done; Done (or Escape) before copying a once-only secret asks first.
/// `snippets`: offer the "Test connection" snippets (after creating a key).
#[component]
pub fn NewSecret(
    created: CreatedKey,
    guard: OnceGuard,
    open: RwSignal<bool>,
    #[prop(optional)] snippets: bool,
) -> impl IntoView {
    let done = move |_| {
        if guard.hold.get_untracked() {
            guard.asking.set(true);
        } else {
            open.set(false);
        }
    };
    view! {
        <div class="dialog-body">
            <p>"“"{created.key.name.clone()}"” is ready."</p>
            <SecretOnce secret=created.secret.clone() recoverable=created.key.recoverable copied=guard.copied/>
            {snippets.then(|| view! { <TestConnection secret=created.secret.clone() copied=guard.copied/> })}
            {move || if guard.asking.get() {
                view! {
                    <div class="confirm-close" role="alert">
                        <p>"You have not copied this key, and it cannot be shown again. Close anyway?"</p>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-ghost" on:click=move |_| guard.asking.set(false)>"Keep it open"</button>
                            <button type="button" class="btn btn-danger" on:click=move |_| {
                                guard.let_go.set(true);
                                open.set(false);
                            }>"Close without copying"</button>
                        </div>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="dialog-actions">
                        <button type="button" class="btn btn-primary" on:click=done>"Done"</button>
                    </div>
                }.into_any()
            }}
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

/// Add New: the form, then the new secret once. `create` is the page's action, so the list can
/// reload when it completes; `on_created` runs when the dialog showing the secret closes.
#[component]
pub fn AddKeyDialog(
    open: RwSignal<bool>,
    create: SudoAction<CreateKey>,
    on_created: Callback<CreatedKey>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let expiry = RwSignal::new(ExpiryChoice::Never);
    let expiry_date = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let recoverable = RwSignal::new(true);
    let allowed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let created = Memo::new(move |_| create.value().get().and_then(Result::ok));
    let guard = OnceGuard::new(created);
    Effect::new(move |_| {
        if let Some(Err(e)) = create.value().get() {
            error.set(Some(e));
        }
    });

    let reset = move || {
        name.set(String::new());
        project.set(String::new());
        expiry.set(ExpiryChoice::Never);
        expiry_date.set(String::new());
        scopes.set(Vec::new());
        recoverable.set(true);
        allowed.set(String::new());
        error.set(None);
        create.clear();
        guard.reset();
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
            ExpiryChoice::Date => match time::end_of_local_day(&expiry_date.get_untracked()) {
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
        create.dispatch(CreateKey {
            key: NewKey {
                name: name.get_untracked(),
                project: Some(project.get_untracked()).filter(|p| !p.trim().is_empty()),
                expires_at,
                scopes: scopes.get_untracked(),
                recoverable: recoverable.get_untracked(),
                rate_limit_per_minute: None,
                allowed_cidrs: ip_ranges(&allowed.get_untracked()),
            },
        });
    };

    // Under a key policy, "no expiry" means the policy's default (or its maximum).
    // Asked each time the dialog opens, not with every list.
    let policy = LocalResource::new(move || {
        let opened = open.get();
        async move {
            match opened {
                true => get_settings().await.ok(),
                false => None,
            }
        }
    });
    let current_policy = move || policy.get().flatten().unwrap_or_default();
    let never_label = move || {
        let p = current_policy();
        match p.default_expiry_days.or(p.max_lifetime_days) {
            Some(days) => format!("Policy default (in {days} days)"),
            None => "Never".to_owned(),
        }
    };
    let policy_hint = move || {
        current_policy()
            .max_lifetime_days
            .map(|days| format!("Key policy: keys expire within {days} days."))
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
        // While the key is being created, or its once-only secret is not yet copied, the dialog
        // does not close on Escape (nor can Cancel be pressed): nothing is lost on the way.
        <Modal open=open title=title on_close=on_close
            hold=Signal::derive(move || guard.hold.get() || create.pending().get())
            on_held=Callback::new(move |_| if guard.hold.get_untracked() { guard.asking.set(true) })>
            {move || match created.get() {
                Some(done) => view! { <NewSecret created=done guard=guard open=open snippets=true/> }.into_any(),
                None => view! {
                    <form class="form dialog-body" on:submit=submit novalidate>
                        <p class="form-error" role="alert"
                            class:hidden=move || form_message(error.get(), &["name", "project", "expires_at", "scopes", "allowed_cidrs"]).is_none()>
                            {move || form_message(error.get(), &["name", "project", "expires_at", "scopes", "allowed_cidrs"]).unwrap_or_default()}
                        </p>
                        <TextField label="Name" name="name" form="add" required=true maxlength=validate::NAME_MAX placeholder="e.g. WooCommerce shop" value=name errors=error/>
                        <TextField label="Project" name="project" form="add" maxlength=validate::PROJECT_MAX placeholder="e.g. licenseshipper.com" value=project errors=error/>
                        <label class="field">
                            <span>"Expiry"</span>
                            <select on:change=move |ev| expiry.set(ExpiryChoice::parse(&event_target_value(&ev)))>
                                <option value="never" selected=move || expiry.get() == ExpiryChoice::Never>{never_label}</option>
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
                        {move || policy_hint().map(|hint| view! { <small class="hint">{hint}</small> })}
                        <FieldError message=field("expires_at") id="add-expiry-error".into()/>
                        <ScopeChecks selected=scopes/>
                        <IpRangesField form="add" value=allowed errors=error/>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || recoverable.get()
                                on:change=move |ev| recoverable.set(event_target_checked(&ev))/>
                            <span>"Recoverable"</span>
                        </label>
                        <small class="hint">"Keeps an encrypted copy so admins can reveal and copy the key later. Off: only a hash is stored and the key is shown once."</small>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-ghost" disabled=move || create.pending().get() on:click=move |_| close()>"Cancel"</button>
                            <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create key"</button>
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}

/// The ranges typed into an "Allowed IP ranges" field: separated by commas, spaces or lines.
pub fn ip_ranges(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The optional IP allowlist of a key (the server parses and checks it; 422 names the field).
#[component]
pub fn IpRangesField(
    form: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    view! {
        <TextField label="Allowed IP ranges" name="allowed_cidrs" form=form value=value errors=errors
            placeholder="e.g. 203.0.113.0/24, 2001:db8::/32"
            hint=format!("Optional: the key works only from these addresses (CIDR ranges or single addresses, separated by commas; at most {MAX_ALLOWED_CIDRS}). Empty: from anywhere.")/>
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
        // No closing while the action runs: its answer belongs to this dialog.
        <Modal open=open title=title hold=busy>
            <div class="dialog-body">
                <p>{move || message.get()}</p>
                {move || cascade.zip(cascade_label).filter(|(_, label)| !label.get().is_empty()).map(|(checked, label)| view! {
                    <label class="check">
                        <input type="checkbox" bind:checked=checked/>
                        {move || label.get()}
                    </label>
                })}
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" disabled=move || busy.get() on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="button" class="btn btn-danger" disabled=move || busy.get()
                        on:click=move |_| on_confirm.run(())>{confirm_label}</button>
                </div>
            </div>
        </Modal>
    }
}

/// Asks before deleting `target`, offering to delete the keys it created too (counted when the
/// dialog opens), then runs the page's `delete` action. `on_deleted` runs after a deletion.
#[component]
pub fn DeleteKeyDialog(
    open: RwSignal<bool>,
    #[prop(into)] target: Signal<Option<KeyItem>>,
    delete: ServerAction<DeleteKey>,
    #[prop(optional)] on_deleted: Option<Callback<()>>,
) -> impl IntoView {
    let toasts = use_toasts();
    let report = use_error_reporter();
    let cascade = RwSignal::new(false);
    // The list does not count a key's descendants; the key itself does (`keys.get`).
    let reach = LocalResource::new(move || {
        let key = open.get().then(|| target.get()).flatten();
        async move {
            match key {
                Some(KeyItem {
                    created_keys: Some(n),
                    ..
                }) => n,
                Some(key) => get_key(key.id)
                    .await
                    .ok()
                    .and_then(|k| k.created_keys)
                    .unwrap_or(0),
                None => 0,
            }
        }
    });
    // The name the toast confirms: the key's at the time of asking.
    let deleting = StoredValue::new(String::new());
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            toasts.info(format!("Deleted “{}”", deleting.get_value()));
            delete.clear();
            open.set(false);
            if let Some(done) = on_deleted {
                done.run(());
            }
        }
        Some(Err(e)) => {
            delete.clear();
            report(e, None);
        }
        None => {}
    });
    let confirm = Callback::new(move |_| {
        if let Some(key) = target.get_untracked() {
            deleting.set_value(key.name.clone());
            delete.dispatch(DeleteKey {
                id: key.id,
                cascade: cascade.get_untracked(),
            });
        }
    });
    view! {
        <ConfirmDialog open=open
            title=Signal::derive(move || target.get().map(|k| format!("Delete API key “{}”?", k.name)).unwrap_or_default())
            message="Integrations using this key stop working immediately. This cannot be undone.".to_string()
            confirm_label="Delete" on_confirm=confirm busy=delete.pending()
            cascade=cascade
            cascade_label=Signal::derive(move || cascade_label("delete", reach.get().unwrap_or(0)))/>
    }
}

//! `/keys/<id>`: one key's details, secret, actions, usage chart and history.

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_navigate, use_params_map},
    NavigateOptions,
};

use crate::{
    api::{
        keys::{
            delete_key, disable_key, enable_key, get_key, key_history, key_usage, roll_key,
            update_key,
        },
        types::{
            ActorKind, AuditItem, CreatedKey, KeyItem, KeyPatch, KeyStatus, Scope, UsageSeries,
        },
        validate, ApiError,
    },
    components::{
        fields::{form_message, TextField},
        icons,
        list_url::LastListUrl,
        modal::Modal,
        secret::{self, use_copy_secret, Revealed},
        session::use_error_reporter,
        time::{self, use_now, Time},
        toast::use_toasts,
    },
    pages::key_dialogs::{
        cascade_label, end_of_local_day, local_day, ConfirmDialog, ScopeChecks, SecretOnce,
    },
};

pub const GRACE_CHOICES: [(u64, &str); 4] = [
    (0, "Immediately"),
    (15 * 60, "15 minutes"),
    (3600, "1 hour"),
    (86_400, "24 hours"),
];

#[component]
fn BackButton() -> impl IntoView {
    let navigate = use_navigate();
    let last = expect_context::<LastListUrl>();
    view! {
        <button type="button" class="btn btn-ghost back" on:click=move |_| {
            let url = last.get();
            navigate(&url, NavigateOptions::default());
        }>
            <icons::ArrowLeft/>"Back"
        </button>
    }
}

#[component]
pub fn KeyDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let reload = RwSignal::new(0u32);
    let report = use_error_reporter();
    let key = LocalResource::new(move || {
        let id = id.get();
        reload.track();
        async move { get_key(id).await }
    });
    let usage = LocalResource::new(move || {
        let id = id.get();
        reload.track();
        async move { key_usage(id, Some(30)).await }
    });
    let history = LocalResource::new(move || {
        let id = id.get();
        reload.track();
        async move { key_history(id).await }
    });
    let retry = Callback::new(move |_| reload.update(|n| *n += 1));
    Effect::new(move |_| {
        if let Some(Err(e)) = key.get() {
            if !matches!(e, ApiError::NotFound(_)) {
                report(e, Some(retry));
            }
        }
    });

    view! {
        <section class="page details-page">
            <BackButton/>
            {move || match key.get() {
                None => view! { <div class="card skeleton-card" aria-busy="true"><span class="skeleton"></span></div> }.into_any(),
                Some(Err(ApiError::NotFound(_))) => view! {
                    <div class="card empty-card">
                        <h1>"API key not found"</h1>
                        <p class="muted">"It may have been deleted, or the link is wrong."</p>
                    </div>
                }.into_any(),
                Some(Err(_)) => view! { <div class="card"><p>"This key could not be loaded."</p></div> }.into_any(),
                Some(Ok(item)) => view! {
                    <KeyDetails item=item reload=reload usage=usage history=history/>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn KeyDetails(
    item: KeyItem,
    reload: RwSignal<u32>,
    usage: LocalResource<Result<UsageSeries, ApiError>>,
    history: LocalResource<Result<Vec<AuditItem>, ApiError>>,
) -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let now = use_now();
    let last_list = expect_context::<LastListUrl>();
    let id = StoredValue::new(item.id.clone());
    let bump = move || reload.update(|n| *n += 1);

    // Secret: hidden until revealed.
    let revealed = RwSignal::new(None::<Revealed>);
    let copy_secret = use_copy_secret();
    let toggle = move |_| {
        if revealed.get_untracked().is_some() {
            revealed.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match secret::reveal(id.get_value()).await {
                Ok(r) => revealed.set(Some(r)),
                Err(e) => report(e, None),
            }
        });
    };
    let copy = move |_| copy_secret(id.get_value(), revealed.get_untracked());

    // Enable / disable; a key that created keys asks first whether to disable those too.
    let toggling = RwSignal::new(false);
    let disabled = item.status == KeyStatus::Disabled;
    let children = item.created_keys.unwrap_or(0);
    let children_text = move |verb: &str| cascade_label(verb, children);
    let disable_open = RwSignal::new(false);
    let cascade_disable = RwSignal::new(false);
    let set_disabled = Callback::new(move |_| {
        toggling.set(true);
        leptos::task::spawn_local(async move {
            let result = if disabled {
                enable_key(id.get_value()).await
            } else {
                disable_key(id.get_value(), cascade_disable.get_untracked()).await
            };
            match result {
                Ok(k) => {
                    toasts.info(if disabled {
                        format!("Enabled “{}”", k.name)
                    } else {
                        format!("Disabled “{}”", k.name)
                    });
                    disable_open.set(false);
                    bump();
                }
                Err(e) => report(e, None),
            }
            toggling.set(false);
        });
    });
    let toggle_disabled = move |_| {
        if !disabled && children > 0 {
            disable_open.set(true);
        } else {
            set_disabled.run(());
        }
    };

    // Delete.
    let delete_open = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let cascade_delete = RwSignal::new(false);
    let name_for_delete = item.name.clone();
    let confirm_delete = Callback::new(move |_| {
        deleting.set(true);
        let navigate = navigate.clone();
        let name = name_for_delete.clone();
        leptos::task::spawn_local(async move {
            match delete_key(id.get_value(), cascade_delete.get_untracked()).await {
                Ok(()) => {
                    toasts.info(format!("Deleted “{name}”"));
                    delete_open.set(false);
                    navigate(&last_list.get(), NavigateOptions::default());
                }
                Err(e) => report(e, None),
            }
            deleting.set(false);
        });
    });

    let edit_open = RwSignal::new(false);
    let roll_open = RwSignal::new(false);
    let status = item.status;
    let grace_end = item.previous_secret_expires_at;
    let scopes_text = if item.scopes.is_empty() {
        "None (whoami only)".to_owned()
    } else {
        item.scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let masked = item.masked.clone();
    let delete_title = format!("Delete API key “{}”?", item.name);
    let disable_title = format!("Disable API key “{}”?", item.name);
    view! {
        <div class="details-head">
            <h1>{item.name.clone()}</h1>
            <span class=format!("badge badge-{}", status.label().to_lowercase())>{status.label()}</span>
        </div>
        {grace_end.map(|at| view! {
            <p class="notice" role="status">
                {move || {
                    let left = at.timestamp_millis() - now.get();
                    if left > 0 {
                        format!("Previous secret stops working in {}", time::span(left))
                    } else {
                        "The previous secret no longer works.".to_owned()
                    }
                }}
            </p>
        })}
        <div class="details-grid">
            <dl class="card fields">
                <div><dt>"Name"</dt><dd>{item.name.clone()}</dd></div>
                <div><dt>"Project"</dt><dd>{item.project.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div class="secret-field">
                    <dt>"Secret Key"</dt>
                    <dd>
                        <div class="secret-row">
                            {move || match revealed.get() {
                                Some(Ok(s)) => view! { <code class="secret revealed">{s}</code> }.into_any(),
                                Some(Err(msg)) => view! { <span class="muted">{msg}</span> }.into_any(),
                                None => view! { <code class="secret">{masked.clone()}</code> }.into_any(),
                            }}
                            <button type="button" class="btn-icon"
                                aria-label=move || if revealed.get().is_some() { "Hide" } else { "Reveal" }
                                on:click=toggle>
                                {move || if revealed.get().is_some() { view! { <icons::EyeOff/> }.into_any() } else { view! { <icons::Eye/> }.into_any() }}
                            </button>
                            <button type="button" class="btn-icon" aria-label="Copy" on:click=copy><icons::Copy/></button>
                        </div>
                        <p class="warning small">"⚠ Keep this key safe; treat it like a password."</p>
                    </dd>
                </div>
                <div><dt>"Created At"</dt><dd>{time::date_time(item.created_at)}</dd></div>
                <div><dt>"Created By"</dt><dd>{item.created_by.clone()}</dd></div>
                <div>
                    <dt>"Last Used"</dt>
                    <dd>{match item.last_used_at {
                        None => view! { <span>"Never"</span> }.into_any(),
                        Some(at) => view! {
                            <span>{time::date_time(at)}" ("<Time at=at relative=true/>")"</span>
                            <span class="muted small block">
                                {item.last_used_ip.clone().map(|ip| format!("from {ip}")).unwrap_or_default()}
                                {item.last_used_user_agent.clone().map(|ua| format!(" · {ua}")).unwrap_or_default()}
                            </span>
                        }.into_any(),
                    }}</dd>
                </div>
                <div><dt>"Expires"</dt><dd>{item.expires_at.map(time::date_time).unwrap_or_else(|| "Never".into())}</dd></div>
                <div><dt>"Status"</dt><dd>{status.label()}</dd></div>
                <div><dt>"Scopes"</dt><dd>{scopes_text}</dd></div>
                <div><dt>"Rate limit"</dt><dd>{item.rate_limit_per_minute.map(|n| format!("{n} requests per minute")).unwrap_or_else(|| "None".into())}</dd></div>
            </dl>
            <div class="card actions-card">
                <h2>"Actions"</h2>
                <button type="button" class="btn btn-secondary" on:click=move |_| edit_open.set(true)>"Edit"</button>
                <button type="button" class="btn btn-secondary" on:click=move |_| roll_open.set(true)>"Regenerate"</button>
                <button type="button" class="btn btn-secondary" disabled=move || toggling.get() on:click=toggle_disabled>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <button type="button" class="btn btn-danger" on:click=move |_| delete_open.set(true)>"Delete"</button>
            </div>
        </div>
        <UsageChart usage=usage/>
        <History history=history/>
        <EditDialog open=edit_open item=item.clone() on_saved=Callback::new(move |_| bump())/>
        <RollDialog open=roll_open id=item.id.clone() on_done=Callback::new(move |_| bump())/>
        {(children > 0).then(|| view! {
            <ConfirmDialog open=disable_open title=disable_title
                message="Integrations using this key stop working until it is enabled again.".to_string()
                confirm_label="Disable" on_confirm=set_disabled busy=toggling
                cascade=cascade_disable cascade_label=children_text("disable")/>
        })}
        <ConfirmDialog open=delete_open title=delete_title
            message="Integrations using this key stop working immediately. This cannot be undone.".to_string()
            confirm_label="Delete" on_confirm=confirm_delete busy=deleting
            cascade=cascade_delete cascade_label=children_text("delete")/>
    }
}

#[component]
fn UsageChart(usage: LocalResource<Result<UsageSeries, ApiError>>) -> impl IntoView {
    view! {
        <section class="card usage" aria-labelledby="usage-title">
            <h2 id="usage-title">"Usage"</h2>
            {move || match usage.get() {
                None => view! { <span class="skeleton"></span> }.into_any(),
                Some(Err(_)) => view! { <p class="muted">"Usage could not be loaded."</p> }.into_any(),
                Some(Ok(series)) => {
                    // Integer chart coordinates: no float formatting in the wasm.
                    let max = series.days.iter().map(|d| d.count).max().unwrap_or(0).max(1);
                    let n = series.days.len().max(1) as u64;
                    let (w, h) = (6000u64, 1400u64);
                    let bar = w / n;
                    let total_text = format!(
                        "{} {} in the last 30 days",
                        series.total,
                        if series.total == 1 { "request" } else { "requests" }
                    );
                    view! {
                        <p class="usage-total">{total_text}</p>
                        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="img"
                            aria-label=format!("Requests per day over the last 30 days, {} in total", series.total)
                            preserveAspectRatio="none">
                            <line x1="0" y1=h.to_string() x2=w.to_string() y2=h.to_string() class="axis"/>
                            {series.days.iter().enumerate().map(|(i, d)| {
                                let bh = d.count * (h - 100) / max;
                                view! {
                                    <rect class="bar" x=(i as u64 * bar + 10).to_string() y=(h - bh).to_string()
                                        width=bar.saturating_sub(20).max(10).to_string() height=bh.to_string()>
                                        <title>{format!("{}: {} requests", time::short_day(d.day), d.count)}</title>
                                    </rect>
                                }
                            }).collect_view()}
                        </svg>
                        <div class="chart-ticks" aria-hidden="true">
                            <span>{series.days.first().map(|d| time::short_day(d.day))}</span>
                            <span>{series.days.last().map(|d| time::short_day(d.day))}</span>
                        </div>
                        <div class="visually-hidden"><table>
                            <caption>"Requests per day"</caption>
                            <thead><tr><th scope="col">"Day"</th><th scope="col">"Requests"</th></tr></thead>
                            <tbody>
                                {series.days.iter().map(|d| view! {
                                    <tr><td>{time::iso_day(d.day)}</td><td>{d.count.to_string()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn History(history: LocalResource<Result<Vec<AuditItem>, ApiError>>) -> impl IntoView {
    view! {
        <section class="card history" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            {move || match history.get() {
                None => view! { <span class="skeleton"></span> }.into_any(),
                Some(Err(_)) => view! { <p class="muted">"History could not be loaded."</p> }.into_any(),
                Some(Ok(events)) if events.is_empty() => view! { <p class="muted">"No events yet."</p> }.into_any(),
                Some(Ok(events)) => view! {
                    <ol class="events">
                        {events.into_iter().map(|e| {
                            let who = if e.actor_kind == ActorKind::Key { format!("API key: {}", e.actor_label) } else { e.actor_label.clone() };
                            view! {
                                <li>
                                    <strong>{e.action.label()}</strong>
                                    " by " {who}
                                    " · " <Time at=e.at relative=true/>
                                    {e.ip.map(|ip| format!(" · from {ip}"))}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn EditDialog(open: RwSignal<bool>, item: KeyItem, on_saved: Callback<()>) -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    let original = StoredValue::new(item.clone());
    let name = RwSignal::new(item.name.clone());
    let project = RwSignal::new(item.project.clone().unwrap_or_default());
    let expires = RwSignal::new(item.expires_at.map(local_day).unwrap_or_default());
    let scopes = RwSignal::new(item.scopes.clone());
    let limit = RwSignal::new(
        item.rate_limit_per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let fields = [
        "name",
        "project",
        "expires_at",
        "scopes",
        "rate_limit_per_minute",
    ];

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let item = original.get_value();
        if let Err(e) = validate::name("name", &name.get_untracked()) {
            error.set(Some(e));
            return;
        }
        let expires_text = expires.get_untracked();
        let expires_at = if expires_text.is_empty() {
            None
        } else {
            match end_of_local_day(&expires_text) {
                Some(at) => Some(at),
                None => {
                    error.set(Some(ApiError::validation(
                        "expires_at",
                        "Enter a valid date.",
                    )));
                    return;
                }
            }
        };
        let limit_text = limit.get_untracked();
        let rate = if limit_text.trim().is_empty() {
            None
        } else {
            match limit_text.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    error.set(Some(ApiError::validation(
                        "rate_limit_per_minute",
                        "Enter a whole number, or leave empty for no limit.",
                    )));
                    return;
                }
            }
        };
        let mut new_scopes: Vec<Scope> = scopes.get_untracked();
        new_scopes.sort();
        let project_value = Some(project.get_untracked()).filter(|p| !p.trim().is_empty());
        let patch = KeyPatch {
            name: Some(name.get_untracked()),
            project: Some(project_value),
            // Unchanged day: keep the exact stored expiry.
            expires_at: if item.expires_at.map(local_day).unwrap_or_default() == expires_text {
                None
            } else {
                Some(expires_at)
            },
            scopes: Some(new_scopes),
            rate_limit_per_minute: Some(rate),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match update_key(item.id.clone(), patch).await {
                Ok(k) => {
                    toasts.info(format!("Saved “{}”", k.name));
                    open.set(false);
                    on_saved.run(());
                }
                Err(e @ ApiError::Validation { .. }) => error.set(Some(e)),
                Err(e) => {
                    error.set(Some(e.clone()));
                    report(e, None);
                }
            }
            busy.set(false);
        });
    };
    view! {
        <Modal open=open title="Edit API key".to_string()>
            <form class="form dialog-body" on:submit=submit novalidate>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &fields).is_none()>
                    {move || form_message(error.get(), &fields).unwrap_or_default()}
                </p>
                <TextField label="Name" name="name" form="edit" required=true value=name errors=error/>
                <TextField label="Project" name="project" form="edit" value=project errors=error/>
                <TextField label="Expiry date" name="expires_at" form="edit" kind="date" hint="Leave empty for a key that never expires." value=expires errors=error/>
                <ScopeChecks selected=scopes/>
                <TextField label="Rate limit (requests per minute)" name="rate_limit_per_minute" form="edit" kind="number" min="1" hint="Empty: no limit." value=limit errors=error/>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Save"</button>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn RollDialog(open: RwSignal<bool>, id: String, on_done: Callback<()>) -> impl IntoView {
    let report = use_error_reporter();
    let grace = RwSignal::new(15 * 60u64);
    let busy = RwSignal::new(false);
    let rolled = RwSignal::new(None::<CreatedKey>);
    let id = StoredValue::new(id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match roll_key(id.get_value(), grace.get_untracked()).await {
                Ok(done) => rolled.set(Some(done)),
                Err(e) => report(e, None),
            }
            busy.set(false);
        });
    };
    let on_close = Callback::new(move |_| {
        if rolled.get_untracked().is_some() {
            rolled.set(None);
            on_done.run(());
        }
    });
    let title = Signal::derive(move || {
        if rolled.get().is_some() {
            "New secret key".to_owned()
        } else {
            "Regenerate secret key".to_owned()
        }
    });
    view! {
        <Modal open=open title=title on_close=on_close>
            {move || match rolled.get() {
                Some(done) => view! {
                    <div class="dialog-body">
                        <SecretOnce secret=done.secret.clone()/>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-primary" on:click=move |_| open.set(false)>"Done"</button>
                        </div>
                    </div>
                }.into_any(),
                None => view! {
                    <form class="form dialog-body" on:submit=submit>
                        <p>"A new secret replaces the current one. Update your integrations before the old one stops working."</p>
                        <fieldset class="field">
                            <legend>"Old secret keeps working for"</legend>
                            {GRACE_CHOICES.into_iter().map(|(secs, label)| view! {
                                <label class="check">
                                    <input type="radio" name="grace" prop:checked=move || grace.get() == secs
                                        on:change=move |_| grace.set(secs)/>
                                    <span>{label}</span>
                                </label>
                            }).collect_view()}
                        </fieldset>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Regenerate"</button>
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}

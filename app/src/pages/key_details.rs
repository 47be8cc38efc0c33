//! `/keys/<id>`: one key's details, secret, actions, usage chart and history. The key is a
//! resource keyed on the id and on the versions of the actions that change it; the dialogs sit
//! outside the part that re-renders, so a reload never closes one (nor loses a new secret).

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
    NavigateOptions,
};

use crate::{
    api::{
        keys::{
            get_key, key_history, key_usage, DeleteKey, DisableKey, EnableKey, ReportKeyLeaked,
            RollKey, UpdateKey,
        },
        types::{ActorKind, AuditItem, KeyItem, KeyPatch, KeyStatus, Scope, UsageSeries},
        validate, ApiError,
    },
    components::{
        fields::{form_message, TextField},
        icons,
        list_url::LastListUrl,
        modal::Modal,
        reauth::{sudo_action, SudoAction},
        secret::{CopyButton, RevealButton, SecretState, SecretText},
        session::{use_error_reporter, use_session},
        time::{self, use_now, Time},
        tips::{Tips, DETAILS_TIPS},
        toast::use_toasts,
    },
    pages::key_dialogs::{
        cascade_label, ip_ranges, ConfirmDialog, DeleteKeyDialog, IpRangesField, NewSecret,
        OnceGuard, ScopeChecks,
    },
    pages::keys_list::row::leaked_badge,
};

pub const GRACE_CHOICES: [(u64, &str); 4] = [
    (0, "Immediately"),
    (15 * 60, "15 minutes"),
    (3600, "1 hour"),
    (86_400, "24 hours"),
];

/// Back to the list view the admin came from: back in history when the list opened this page
/// (no new entry, the list's search, filter, sort and page as they were), else to the list as
/// last seen (a deep link).
#[component]
fn BackButton(id: Memo<String>) -> impl IntoView {
    let navigate = use_navigate();
    let last = expect_context::<LastListUrl>();
    view! {
        <button type="button" class="btn btn-ghost back" on:click=move |_| {
            let history = web_sys::window().and_then(|w| w.history().ok());
            match history {
                Some(history) if last.opened_from_list(&id.get_untracked()) => {
                    let _ = history.back();
                }
                _ => navigate(&last.get(), NavigateOptions::default()),
            }
        }>
            <icons::ArrowLeft/>"Back"
        </button>
    }
}

/// The dialogs a details page can open.
#[derive(Clone, Copy)]
struct Dialogs {
    edit: RwSignal<bool>,
    roll: RwSignal<bool>,
    disable: RwSignal<bool>,
    delete: RwSignal<bool>,
    leak: RwSignal<bool>,
}

#[component]
pub fn KeyDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let report = use_error_reporter();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let last_list = expect_context::<LastListUrl>();

    // What changes this key; the key and its history reload whenever one completes.
    // Rolling hands out a working secret, and granting keys:write makes a key powerful: both
    // may ask for the password (sudo mode).
    let update = sudo_action::<UpdateKey>();
    let roll = sudo_action::<RollKey>();
    let enable = ServerAction::<EnableKey>::new();
    let disable = ServerAction::<DisableKey>::new();
    let delete = ServerAction::<DeleteKey>::new();
    let leak = ServerAction::<ReportKeyLeaked>::new();
    let changes = move || {
        leak.version().track();
        update.version().track();
        roll.version().track();
        enable.version().track();
        disable.version().track();
    };
    let key = LocalResource::new(move || {
        changes();
        get_key(id.get())
    });
    let usage = LocalResource::new(move || key_usage(id.get(), Some(30)));
    let history = LocalResource::new(move || {
        changes();
        key_history(id.get())
    });
    let retry = Callback::new(move |_| key.refetch());
    Effect::new(move |_| {
        if let Some(Err(e)) = key.get() {
            if !matches!(e, ApiError::NotFound(_)) {
                report(e, Some(retry));
            }
        }
    });
    let current: Signal<Option<KeyItem>> =
        Memo::new(move |_| key.get().and_then(Result::ok)).into();

    let dialogs = Dialogs {
        edit: RwSignal::new(false),
        roll: RwSignal::new(false),
        disable: RwSignal::new(false),
        delete: RwSignal::new(false),
        leak: RwSignal::new(false),
    };

    // Enable / disable: a key that created keys asks first whether to disable those too.
    let cascade_disable = RwSignal::new(false);
    let toggling = Signal::derive(move || enable.pending().get() || disable.pending().get());
    let set_disabled = Callback::new(move |_| {
        let Some(item) = current.get_untracked() else {
            return;
        };
        if item.status == KeyStatus::Disabled {
            enable.dispatch(EnableKey { id: item.id });
        } else {
            disable.dispatch(DisableKey {
                id: item.id,
                cascade: cascade_disable.get_untracked(),
            });
        }
    });
    Effect::new(move |_| {
        let done = enable
            .value()
            .get()
            .map(|r| (r, "Enabled"))
            .or_else(|| disable.value().get().map(|r| (r, "Disabled")));
        match done {
            Some((Ok(k), verb)) => {
                toasts.info(format!("{verb} “{}”", k.name));
                dialogs.disable.set(false);
            }
            Some((Err(e), _)) => report(e, None),
            None => return,
        }
        enable.clear();
        disable.clear();
    });
    let toggle_disabled = Callback::new(move |_| {
        let reach = current
            .get_untracked()
            .filter(|k| k.status != KeyStatus::Disabled)
            .and_then(|k| k.created_keys)
            .unwrap_or(0);
        if reach > 0 {
            dialogs.disable.set(true);
        } else {
            set_disabled.run(());
        }
    });
    let reach = move || current.get().and_then(|k| k.created_keys).unwrap_or(0);
    let on_deleted = Callback::new(move |_| navigate(&last_list.get(), NavigateOptions::default()));

    view! {
        <section class="page details-page">
            <BackButton id=id/>
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
                    <KeyDetails item=item dialogs=dialogs toggle_disabled=toggle_disabled toggling=toggling/>
                    <UsageChart usage=usage/>
                    <History history=history id=id/>
                }.into_any(),
            }}
            <Tips page="details" tips=&DETAILS_TIPS/>
            <EditDialog open=dialogs.edit item=current update=update/>
            <RollDialog open=dialogs.roll item=current roll=roll/>
            <ConfirmDialog open=dialogs.disable
                title=Signal::derive(move || current.get().map(|k| format!("Disable API key “{}”?", k.name)).unwrap_or_default())
                message="Integrations using this key stop working until it is enabled again.".to_string()
                confirm_label="Disable" on_confirm=set_disabled busy=toggling
                cascade=cascade_disable cascade_label=Signal::derive(move || cascade_label("disable", reach()))/>
            <DeleteKeyDialog open=dialogs.delete target=current delete=delete on_deleted=on_deleted/>
            <LeakDialog open=dialogs.leak item=current leak=leak/>
        </section>
    }
}

#[component]
fn KeyDetails(
    item: KeyItem,
    dialogs: Dialogs,
    toggle_disabled: Callback<()>,
    toggling: Signal<bool>,
) -> impl IntoView {
    let now = use_now();
    // A viewer sees the key without what the server would refuse them.
    let manage = use_session().can_manage();
    let secret = SecretState::new(&item);
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
    view! {
        <div class="details-head">
            <h1>{item.name.clone()}</h1>
            <span class=format!("badge badge-{}", status.label().to_lowercase())>{status.label()}</span>
            {leaked_badge(&item).map(|found| view! { <span class="badge badge-leaked">{found}</span> })}
        </div>
        {(item.expires_at.is_none() && item.scopes.contains(&Scope::KeysWrite)).then(|| view! {
            <p class="notice" role="note">"⚠ This key can change other keys and never expires: consider setting an expiry."</p>
        })}
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
                            <SecretText state=secret/>
                            {manage.then(|| view! {
                                <RevealButton state=secret/>
                                <CopyButton state=secret/>
                            })}
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
                <div><dt>"Allowed IPs"</dt><dd>{if item.allowed_cidrs.is_empty() { "Any address".to_owned() } else { item.allowed_cidrs.join(", ") }}</dd></div>
            </dl>
            {manage.then(|| view! {
                <div class="card actions-card">
                    <h2>"Actions"</h2>
                    <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.edit.set(true)>"Edit"</button>
                    <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.roll.set(true)>"Regenerate"</button>
                    <button type="button" class="btn btn-secondary" disabled=move || toggling.get() on:click=move |_| toggle_disabled.run(())>
                        {if status == KeyStatus::Disabled { "Enable" } else { "Disable" }}
                    </button>
                    <button type="button" class="btn btn-secondary" on:click=move |_| dialogs.leak.set(true)>"Report as leaked"</button>
                    <button type="button" class="btn btn-danger" on:click=move |_| dialogs.delete.set(true)>"Delete"</button>
                </div>
            })}
        </div>
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
                Some(Ok(series)) if series.total == 0 => view! { <p class="muted">"No requests yet"</p> }.into_any(),
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
fn History(
    history: LocalResource<Result<Vec<AuditItem>, ApiError>>,
    id: Memo<String>,
) -> impl IntoView {
    view! {
        <section class="card history" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <A href=move || format!("/audit?key={}", id.get())>"Open in the audit log"</A>
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

/// Report as leaked: where it was found (optional), then the key stops working at once.
#[component]
fn LeakDialog(
    open: RwSignal<bool>,
    item: Signal<Option<KeyItem>>,
    leak: ServerAction<ReportKeyLeaked>,
) -> impl IntoView {
    let toasts = use_toasts();
    let found = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match leak.value().get() {
        Some(Ok(k)) => {
            toasts.info(format!("Reported “{}” as leaked", k.name));
            open.set(false);
            found.set(String::new());
            leak.clear();
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if let Some(k) = item.get_untracked() {
            leak.dispatch(ReportKeyLeaked {
                id: k.id,
                url: Some(found.get_untracked()).filter(|f| !f.trim().is_empty()),
            });
        }
    };
    view! {
        <Modal open=open title="Report as leaked".to_string() hold=leak.pending()
            on_close=Callback::new(move |_| error.set(None))>
            <form class="form dialog-body" on:submit=submit novalidate>
                <p>"The key stops working at once: it is disabled, or regenerated with no grace if the key policy says so. Integrations using it need a new key."</p>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &["url"]).is_none()>
                    {move || form_message(error.get(), &["url"]).unwrap_or_default()}
                </p>
                <TextField label="Where was it found?" name="url" form="leak" placeholder="e.g. https://github.com/acme/shop/blob/main/config.php" value=found errors=error/>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" disabled=move || leak.pending().get() on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-danger" disabled=move || leak.pending().get()>"Report as leaked"</button>
                </div>
            </form>
        </Modal>
    }
}

/// Edit: the form opens with the key as it is now. The answer is handled here, where it
/// outlives the form; the dialog stays open until it arrives.
#[component]
fn EditDialog(
    open: RwSignal<bool>,
    item: Signal<Option<KeyItem>>,
    update: SudoAction<UpdateKey>,
) -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        match update.value().get() {
            Some(Ok(k)) => {
                toasts.info(format!("Saved “{}”", k.name));
                open.set(false);
            }
            Some(Err(e @ ApiError::Validation { .. })) => error.set(Some(e)),
            Some(Err(e)) => {
                error.set(Some(e.clone()));
                report(e, None);
            }
            None => return,
        }
        update.clear();
    });
    view! {
        <Modal open=open title="Edit API key".to_string() hold=update.pending()
            on_close=Callback::new(move |_| error.set(None))>
            {move || item.get_untracked().map(|item| view! { <EditForm item=item open=open update=update error=error/> })}
        </Modal>
    }
}

#[component]
fn EditForm(
    item: KeyItem,
    open: RwSignal<bool>,
    update: SudoAction<UpdateKey>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let original = StoredValue::new(item.clone());
    let name = RwSignal::new(item.name.clone());
    let project = RwSignal::new(item.project.clone().unwrap_or_default());
    let expires = RwSignal::new(item.expires_at.map(time::local_day).unwrap_or_default());
    let scopes = RwSignal::new(item.scopes.clone());
    let limit = RwSignal::new(
        item.rate_limit_per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let allowed = RwSignal::new(item.allowed_cidrs.join(", "));
    let fields = [
        "name",
        "project",
        "expires_at",
        "scopes",
        "rate_limit_per_minute",
        "allowed_cidrs",
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
            match time::end_of_local_day(&expires_text) {
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
            expires_at: if item.expires_at.map(time::local_day).unwrap_or_default() == expires_text
            {
                None
            } else {
                Some(expires_at)
            },
            scopes: Some(new_scopes),
            rate_limit_per_minute: Some(rate),
            allowed_cidrs: Some(ip_ranges(&allowed.get_untracked())),
        };
        update.dispatch(UpdateKey { id: item.id, patch });
    };
    view! {
        <form class="form dialog-body" on:submit=submit novalidate>
            <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &fields).is_none()>
                {move || form_message(error.get(), &fields).unwrap_or_default()}
            </p>
            <TextField label="Name" name="name" form="edit" required=true maxlength=validate::NAME_MAX value=name errors=error/>
            <TextField label="Project" name="project" form="edit" maxlength=validate::PROJECT_MAX value=project errors=error/>
            <TextField label="Expiry date" name="expires_at" form="edit" kind="date" hint="Leave empty for a key that never expires." value=expires errors=error/>
            <ScopeChecks selected=scopes/>
            <TextField label="Rate limit (requests per minute)" name="rate_limit_per_minute" form="edit" kind="number" min="1" hint="Empty: no limit." value=limit errors=error/>
            <IpRangesField form="edit" value=allowed errors=error/>
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" disabled=move || update.pending().get() on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>"Save"</button>
            </div>
        </form>
    }
}

/// Regenerate: choose how long the old secret keeps working, then see the new one once. The
/// new secret is the action's value until the dialog closes.
#[component]
fn RollDialog(
    open: RwSignal<bool>,
    item: Signal<Option<KeyItem>>,
    roll: SudoAction<RollKey>,
) -> impl IntoView {
    let report = use_error_reporter();
    let grace = RwSignal::new(15 * 60u64);
    let rolled = Memo::new(move |_| roll.value().get().and_then(Result::ok));
    let guard = OnceGuard::new(rolled);
    Effect::new(move |_| {
        if let Some(Err(e)) = roll.value().get() {
            roll.clear();
            report(e, None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(key) = item.get_untracked() {
            roll.dispatch(RollKey {
                id: key.id,
                grace_seconds: grace.get_untracked(),
            });
        }
    };
    let on_close = Callback::new(move |_| {
        roll.clear();
        guard.reset();
    });
    let title = Signal::derive(move || {
        if rolled.get().is_some() {
            "New secret key".to_owned()
        } else {
            "Regenerate secret key".to_owned()
        }
    });
    view! {
        <Modal open=open title=title on_close=on_close
            hold=Signal::derive(move || guard.hold.get() || roll.pending().get())
            on_held=Callback::new(move |_| if guard.hold.get_untracked() { guard.asking.set(true) })>
            {move || match rolled.get() {
                Some(done) => view! { <NewSecret created=done guard=guard open=open/> }.into_any(),
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
                            <button type="button" class="btn btn-ghost" disabled=move || roll.pending().get() on:click=move |_| open.set(false)>"Cancel"</button>
                            <button type="submit" class="btn btn-primary" disabled=move || roll.pending().get()>"Regenerate"</button>
                        </div>
                    </form>
                }.into_any(),
            }}
        </Modal>
    }
}

//! `/audit`: every audit event, newest first, filtered by action, actor, key and dates (kept in
//! the URL), paged with "Load more", and exported as CSV.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{
        audit::{list_audit, ExportAudit},
        types::{ActorKind, AuditFilter, AuditItem},
    },
    components::{
        download,
        session::use_error_reporter,
        time::{self, Time},
    },
};

/// Events fetched per page.
const PAGE: u64 = 50;

/// The action filters offered: a label and the action prefix it selects.
const ACTIONS: [(&str, &str); 9] = [
    ("All actions", ""),
    ("Key changes", "key."),
    ("Secrets revealed", "key.revealed"),
    ("Leaks reported", "key.leaked"),
    ("Sign-ins and sign-outs", "auth."),
    ("Failed sign-ins", "auth.login_failed"),
    ("Admin changes", "admin."),
    ("Settings", "settings."),
    ("Master key", "vault."),
];

/// The page's filters, as the URL holds them (`?action=key.&actor=ann&key=…&from=…&until=…`).
#[derive(Clone, Debug, PartialEq, Default)]
struct Filters {
    action: String,
    actor: String,
    key: String,
    /// Local days, `YYYY-MM-DD`.
    from: String,
    until: String,
}

impl Filters {
    fn url(&self) -> String {
        let pairs = [
            ("action", &self.action),
            ("actor", &self.actor),
            ("key", &self.key),
            ("from", &self.from),
            ("until", &self.until),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
            .collect();
        if query.is_empty() {
            "/audit".into()
        } else {
            format!("/audit?{}", query.join("&"))
        }
    }

    /// What the server is asked: days become the start of `from` and the end of `until`.
    fn to_api(&self) -> AuditFilter {
        let some = |s: &String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        AuditFilter {
            action: some(&self.action),
            actor: some(&self.actor),
            key_id: some(&self.key),
            from: time::start_of_local_day(&self.from),
            until: time::end_of_local_day(&self.until).map(|at| at + chrono::Duration::seconds(1)),
        }
    }
}

/// What an event did, in a few words (its detail, without braces and quotes).
fn detail_text(e: &AuditItem) -> String {
    match &e.detail {
        serde_json::Value::Object(map) if !map.is_empty() => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let report = use_error_reporter();
    let query = use_query_map();
    let navigate = use_navigate();
    let filters = Memo::new(move |_| {
        let q = query.get();
        Filters {
            action: q.get("action").unwrap_or_default(),
            actor: q.get("actor").unwrap_or_default(),
            key: q.get("key").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            until: q.get("until").unwrap_or_default(),
        }
    });
    // The form's fields, applied to the URL on submit.
    let actor = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    Effect::new(move |_| {
        let f = filters.get();
        actor.set(f.actor);
        from.set(f.from);
        until.set(f.until);
    });

    let events = RwSignal::new(Vec::<AuditItem>::new());
    let more = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let failed = RwSignal::new(false);
    // Each load belongs to one view: an answer for an older filter is dropped.
    let generation = StoredValue::new(0u64);
    let load = move |before: Option<String>| {
        let filter = filters.get_untracked().to_api();
        let mine = generation.get_value();
        loading.set(true);
        failed.set(false);
        spawn_local(async move {
            let answer = list_audit(Some(PAGE), before.clone(), filter).await;
            if generation.get_value() != mine {
                return;
            }
            loading.set(false);
            match answer {
                Ok(page) => {
                    more.set(page.len() as u64 == PAGE);
                    if before.is_some() {
                        events.update(|e| e.extend(page));
                    } else {
                        events.set(page);
                    }
                }
                Err(e) => {
                    failed.set(true);
                    report(e, None);
                }
            }
        });
    };
    Effect::new(move |_| {
        filters.track();
        generation.update_value(|g| *g += 1);
        events.set(Vec::new());
        load(None);
    });
    let load_more = move |_| {
        let last = events.with_untracked(|e| e.last().map(|e| e.id.clone()));
        if last.is_some() {
            load(last);
        }
    };

    let go = move |f: Filters| navigate(&f.url(), Default::default());
    let go_submit = go.clone();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go_submit(Filters {
            actor: actor.get_untracked(),
            from: from.get_untracked(),
            until: until.get_untracked(),
            ..filters.get_untracked()
        });
    };
    let exporting = RwSignal::new(false);
    let export = move |_| {
        let args = ExportAudit {
            filter: filters.get_untracked().to_api(),
        };
        exporting.set(true);
        spawn_local(async move {
            if let Err(e) = download::save(&args, "audit-log.csv").await {
                report(e, None);
            }
            exporting.set(false);
        });
    };
    let go_action = go.clone();
    let go_key = go.clone();

    view! {
        <section class="page audit-page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <div class="head-actions">
                    <button type="button" class="btn btn-secondary" disabled=move || exporting.get() on:click=export>"Export CSV"</button>
                </div>
            </div>
            <form class="card form audit-filters" role="search" aria-label="Filter the audit log" on:submit=apply>
                <label class="field">
                    <span>"Action"</span>
                    <select on:change=move |ev| go_action(Filters { action: event_target_value(&ev), ..filters.get_untracked() })>
                        {ACTIONS.into_iter().map(|(label, prefix)| view! {
                            <option value=prefix selected=move || filters.get().action == prefix>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>"Actor"</span>
                    <input type="search" placeholder="Admin or key name" prop:value=move || actor.get()
                        on:input=move |ev| actor.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>"From"</span>
                    <input type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>"To"</span>
                    <input type="date" prop:value=move || until.get() on:input=move |ev| until.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="btn btn-secondary">"Apply"</button>
                {move || (!filters.get().key.is_empty()).then(|| {
                    let go_key = go_key.clone();
                    view! {
                        <span class="chip" aria-pressed="true">
                            "One key only"
                            <button type="button" class="btn-icon" aria-label="Show every key"
                                on:click=move |_| go_key(Filters { key: String::new(), ..filters.get_untracked() })>"×"</button>
                        </span>
                    }
                })}
            </form>
            <div class="table-wrap" aria-busy=move || loading.get().to_string()>
                <table class="audit-table">
                    <caption class="visually-hidden">"Audit events, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Key"</th>
                            <th scope="col">"Address"</th>
                            <th scope="col">"Details"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || events.get() key=|e| e.id.clone() let:e>
                            <tr>
                                <td data-label="When"><Time at=e.at/></td>
                                <td data-label="Who">{match e.actor_kind {
                                    ActorKind::Key => format!("API key: {}", e.actor_label),
                                    _ => e.actor_label.clone(),
                                }}</td>
                                <td data-label="Action"><span title=e.action.as_str()>{e.action.label()}</span></td>
                                <td data-label="Key">{match (e.key_id.clone(), e.key_name.clone()) {
                                    (Some(id), name) => view! { <A href=format!("/keys/{id}")>{name.unwrap_or(id)}</A> }.into_any(),
                                    _ => view! { <span class="muted">"—"</span> }.into_any(),
                                }}</td>
                                <td data-label="Address">{e.ip.clone().unwrap_or_else(|| "—".into())}</td>
                                <td data-label="Details" class="audit-detail">{detail_text(&e)}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            {move || (events.with(Vec::is_empty) && !loading.get() && !failed.get()).then(|| view! {
                <p class="empty-state">"No events match these filters."</p>
            })}
            {move || failed.get().then(|| view! { <p class="muted">"The audit log could not be loaded."</p> })}
            <div class="audit-more">
                <Show when=move || more.get()>
                    <button type="button" class="btn btn-secondary" disabled=move || loading.get() on:click=load_more>"Load more"</button>
                </Show>
            </div>
        </section>
    }
}

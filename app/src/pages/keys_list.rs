//! `/keys`: the API Keys page. Search, filter, sort, page and page size live in the URL.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_location, use_navigate, use_query_map},
    params::ParamsMap,
    NavigateOptions,
};

use crate::{
    api::{
        keys::{bulk_delete_keys, delete_key, get_key, list_keys},
        types::{
            CreatedKey, KeyFilter, KeyItem, KeyPage, KeyStatus, SortField, SortOrder,
            DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
        },
        ApiError,
    },
    components::{
        icons,
        list_url::LastListUrl,
        secret::{self, use_copy_secret, Revealed},
        session::use_error_reporter,
        time::{self, use_now, Time},
        toast::use_toasts,
    },
    pages::key_dialogs::{cascade_label, AddKeyDialog, ConfirmDialog},
};

pub const PAGE_SIZES: [u64; 4] = [10, 25, 50, 100];

/// The list's view, as kept in the URL query.
#[derive(Debug, Clone, PartialEq)]
pub struct ListView {
    pub query: String,
    pub page: u64,
    pub size: u64,
    pub sort: SortField,
    pub order: SortOrder,
    pub filter: KeyFilter,
}

impl Default for ListView {
    fn default() -> Self {
        Self {
            query: String::new(),
            page: 1,
            size: DEFAULT_PAGE_SIZE,
            sort: SortField::Created,
            order: SortOrder::Desc,
            filter: KeyFilter::All,
        }
    }
}

impl ListView {
    pub fn from_query(q: &ParamsMap) -> Self {
        let d = Self::default();
        Self {
            query: q.get("q").unwrap_or_default(),
            page: q
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(d.page),
            size: q
                .get("size")
                .and_then(|p| p.parse().ok())
                .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
                .unwrap_or(d.size),
            sort: q
                .get("sort")
                .and_then(|s| SortField::parse(&s))
                .unwrap_or(d.sort),
            order: q
                .get("order")
                .and_then(|s| SortOrder::parse(&s))
                .unwrap_or(d.order),
            filter: q
                .get("filter")
                .and_then(|s| KeyFilter::parse(&s))
                .unwrap_or(d.filter),
        }
    }

    /// `?q=…&page=…` with defaults left out; empty for the default view.
    pub fn to_query_string(&self) -> String {
        let d = Self::default();
        let mut parts = Vec::new();
        if !self.query.is_empty() {
            parts.push(format!("q={}", js_sys::encode_uri_component(&self.query)));
        }
        if self.filter != d.filter {
            parts.push(format!("filter={}", self.filter.as_str()));
        }
        if self.sort != d.sort || self.order != d.order {
            parts.push(format!(
                "sort={}&order={}",
                self.sort.as_str(),
                self.order.as_str()
            ));
        }
        if self.size != d.size {
            parts.push(format!("size={}", self.size));
        }
        if self.page != d.page {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    pub fn url(&self) -> String {
        format!("/keys{}", self.to_query_string())
    }
}

/// Page numbers to offer: first, last, and two either side of the current one.
fn page_numbers(current: u64, last: u64) -> Vec<Option<u64>> {
    let mut out = Vec::new();
    let mut prev = 0;
    for p in 1..=last {
        if p == 1 || p == last || p.abs_diff(current) <= 2 {
            if p > prev + 1 {
                out.push(None);
            }
            out.push(Some(p));
            prev = p;
        }
    }
    out
}

/// "Expires in 3 days" when a key expires within a week.
fn expiry_badge(item: &KeyItem, now: i64) -> Option<String> {
    let at = item.expires_at?.timestamp_millis();
    let left = at - now;
    (item.status == KeyStatus::Active && left > 0 && left < 7 * 86_400_000)
        .then(|| format!("Expires in {}", time::span(left)))
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let query = use_query_map();
    let view_state = Memo::new(move |_| ListView::from_query(&query.get()));
    let navigate = use_navigate();
    let report = use_error_reporter();
    let toasts = use_toasts();
    let now = use_now();
    let last_list = expect_context::<LastListUrl>();

    let go = {
        let navigate = navigate.clone();
        move |v: ListView, replace: bool| {
            navigate(
                &v.url(),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };

    // Remember this view for Back buttons (not the empty query seen while leaving the page).
    let location = use_location();
    Effect::new(move |_| {
        let url = view_state.get().url();
        if location.pathname.get() == "/keys" {
            last_list.set(url);
        }
    });

    let reload = RwSignal::new(0u32);
    let loading = RwSignal::new(false);
    let keys: LocalResource<Result<KeyPage, ApiError>> = LocalResource::new(move || {
        let v = view_state.get();
        reload.track();
        loading.set(true);
        async move {
            let result = list_keys(
                Some(v.query.clone()).filter(|q| !q.trim().is_empty()),
                Some(v.page),
                Some(v.size),
                Some(v.sort),
                Some(v.order),
                Some(v.filter),
            )
            .await;
            loading.set(false);
            result
        }
    });
    let retry = Callback::new(move |_| reload.update(|n| *n += 1));
    Effect::new(move |_| {
        if let Some(Err(e)) = keys.get() {
            report(e, Some(retry));
        }
    });
    let page = Memo::new(move |_| keys.get().and_then(Result::ok));

    // A page beyond the end (after deletions) moves back to the last one.
    {
        let go = go.clone();
        Effect::new(move |_| {
            if let Some(p) = page.get() {
                let v = view_state.get_untracked();
                let last = p.total.div_ceil(p.page_size).max(1);
                if p.items.is_empty() && v.page > last {
                    go(ListView { page: last, ..v }, true);
                }
            }
        });
    }

    // Selection (for Bulk Delete) and revealed secrets belong to one view.
    let selected = RwSignal::new(HashSet::<String>::new());
    let revealed = RwSignal::new(HashMap::<String, Revealed>::new());
    Effect::new(move |_| {
        view_state.track();
        selected.set(HashSet::new());
    });

    // Search box, debounced into the URL.
    let search = RwSignal::new(view_state.get_untracked().query);
    Effect::new(move |_| {
        let q = view_state.get().query;
        if search.get_untracked().trim() != q {
            search.set(q);
        }
    });
    let debounce = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            search.set(event_target_value(&ev));
            if let Some(h) = debounce.get_value() {
                h.clear();
            }
            let go = go.clone();
            let handle = set_timeout_with_handle(
                move || {
                    let v = view_state.get_untracked();
                    let q = search.get_untracked().trim().to_owned();
                    if q != v.query {
                        go(
                            ListView {
                                query: q,
                                page: 1,
                                ..v
                            },
                            true,
                        );
                    }
                },
                std::time::Duration::from_millis(250),
            )
            .ok();
            debounce.set_value(handle);
        }
    };

    // Add New.
    let add_open = RwSignal::new(false);
    let on_created = {
        let go = go.clone();
        Callback::new(move |created: CreatedKey| {
            toasts.info(format!("Created “{}”", created.key.name));
            // The newest key sits at the top of the default view.
            let v = ListView::default();
            if view_state.get_untracked() == v {
                reload.update(|n| *n += 1);
            } else {
                go(v, false);
            }
        })
    };

    // Delete one.
    let delete_target = RwSignal::new(None::<KeyItem>);
    let delete_open = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let cascade_delete = RwSignal::new(false);
    // How many keys were created from the one to delete: asked for when its dialog opens.
    let delete_reach = RwSignal::new(0u64);
    let confirm_delete = Callback::new(move |_| {
        let Some(item) = delete_target.get_untracked() else {
            return;
        };
        deleting.set(true);
        leptos::task::spawn_local(async move {
            match delete_key(item.id.clone(), cascade_delete.get_untracked()).await {
                Ok(()) => {
                    toasts.info(format!("Deleted “{}”", item.name));
                    delete_open.set(false);
                    reload.update(|n| *n += 1);
                }
                Err(e) => report(e, None),
            }
            deleting.set(false);
        });
    });

    // Bulk Delete.
    let bulk_open = RwSignal::new(false);
    let bulk_deleting = RwSignal::new(false);
    let cascade_bulk = RwSignal::new(false);
    let confirm_bulk = Callback::new(move |_| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        bulk_deleting.set(true);
        leptos::task::spawn_local(async move {
            match bulk_delete_keys(ids, cascade_bulk.get_untracked()).await {
                Ok(n) => {
                    toasts.info(format!(
                        "Deleted {n} API {}",
                        if n == 1 { "key" } else { "keys" }
                    ));
                    bulk_open.set(false);
                    selected.set(HashSet::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => report(e, None),
            }
            bulk_deleting.set(false);
        });
    });
    let count_label = move || {
        let n = selected.get().len();
        format!("Delete {n} API {}?", if n == 1 { "key" } else { "keys" })
    };

    // Reveal / hide and copy in a row.
    let copy_secret = use_copy_secret();
    let toggle_reveal = move |id: String| {
        if revealed.get_untracked().contains_key(&id) {
            revealed.update(|r| {
                r.remove(&id);
            });
            return;
        }
        leptos::task::spawn_local(async move {
            match secret::reveal(id.clone()).await {
                Ok(r) => revealed.update(|map| {
                    map.insert(id, r);
                }),
                Err(e) => report(e, None),
            }
        });
    };

    let sort_header = {
        let go = go.clone();
        move |field: SortField, label: &'static str| {
            let go = go.clone();
            let aria = move || {
                let v = view_state.get();
                if v.sort != field {
                    "none"
                } else if v.order == SortOrder::Asc {
                    "ascending"
                } else {
                    "descending"
                }
            };
            view! {
                <th scope="col" aria-sort=aria class=format!("col-{}", field.as_str())>
                    <button type="button" class="sort" on:click=move |_| {
                        let v = view_state.get_untracked();
                        let order = if v.sort == field {
                            v.order.flip()
                        } else if field == SortField::Name {
                            SortOrder::Asc
                        } else {
                            SortOrder::Desc
                        };
                        go(ListView { sort: field, order, page: 1, ..v }, false);
                    }>
                        {label}
                        <span class="sort-mark" aria-hidden="true">{move || match aria() {
                            "ascending" => "▲",
                            "descending" => "▼",
                            _ => "↕",
                        }}</span>
                    </button>
                </th>
            }
        }
    };

    let set_filter = {
        let go = go.clone();
        move |filter: KeyFilter| {
            go(
                ListView {
                    filter,
                    page: 1,
                    ..view_state.get_untracked()
                },
                false,
            )
        }
    };

    let row_view = {
        let navigate = navigate.clone();
        move |item: KeyItem| {
            let id = item.id.clone();
            let href = format!("/keys/{}", item.id);
            let open_details = {
                let navigate = navigate.clone();
                let href = href.clone();
                move |ev: leptos::ev::KeyboardEvent| {
                    let on_row = ev
                        .target()
                        .zip(ev.current_target())
                        .is_some_and(|(t, c)| t == c);
                    if ev.key() == "Enter" && on_row {
                        navigate(&href, NavigateOptions::default());
                    }
                }
            };
            let checked_id = id.clone();
            let toggle_id = id.clone();
            let secret_id = id.clone();
            let pressed_id = id.clone();
            let view_id = id.clone();
            let copy_id = id.clone();
            let masked = item.masked.clone();
            let delete_item = item.clone();
            let badge = expiry_badge(&item, now.get_untracked());
            let status = item.status;
            let name = item.name.clone();
            view! {
                <tr tabindex="0" on:keydown=open_details class:row-selected=move || selected.get().contains(&checked_id)>
                    <td class="col-select">
                        <input type="checkbox" aria-label=format!("Select {name}")
                            prop:checked={ let id = toggle_id.clone(); move || selected.get().contains(&id) }
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                let id = toggle_id.clone();
                                selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                            }/>
                    </td>
                    <th scope="row" class="col-name">
                        <A href=href>{item.name.clone()}</A>
                        {(status != KeyStatus::Active).then(|| view! {
                            <span class=format!("badge badge-{}", status.label().to_lowercase())>{status.label()}</span>
                        })}
                        {badge.map(|b| view! { <span class="badge badge-warn">{b}</span> })}
                    </th>
                    <td class="col-secret">
                        {move || match revealed.get().get(&secret_id).cloned() {
                            Some(Ok(secret)) => view! { <code class="secret revealed">{secret}</code> }.into_any(),
                            Some(Err(msg)) => view! { <span class="muted small">{msg}</span> }.into_any(),
                            None => view! { <code class="secret">{masked.clone()}</code> }.into_any(),
                        }}
                    </td>
                    <td class="col-created"><Time at=item.created_at/></td>
                    <td class="col-last-used">
                        {match item.last_used_at {
                            Some(at) => view! { <Time at=at relative=true/> }.into_any(),
                            None => view! { <span class="muted">"Never"</span> }.into_any(),
                        }}
                    </td>
                    <td class="col-creator">{item.created_by.clone()}</td>
                    <td class="col-actions"><div class="row-actions">
                        <button type="button" class="btn-icon" aria-label="View" title="View secret key"
                            aria-pressed=move || revealed.get().contains_key(&pressed_id).to_string()
                            on:click=move |_| toggle_reveal(view_id.clone())>
                            {let id = id.clone(); move || if revealed.get().contains_key(&id) {
                                view! { <icons::EyeOff/> }.into_any()
                            } else {
                                view! { <icons::Eye/> }.into_any()
                            }}
                        </button>
                        <button type="button" class="btn-icon" aria-label="Copy" title="Copy secret key"
                            on:click=move |_| copy_secret(copy_id.clone(), revealed.get_untracked().get(&copy_id).cloned())>
                            <icons::Copy/>
                        </button>
                        <button type="button" class="btn-icon danger" aria-label="Delete" title="Delete key"
                            on:click=move |_| {
                                delete_target.set(Some(delete_item.clone()));
                                delete_reach.set(0);
                                delete_open.set(true);
                                let id = delete_item.id.clone();
                                leptos::task::spawn_local(async move {
                                    if let Ok(item) = get_key(id).await {
                                        // Only if the dialog is still about this key.
                                        if delete_target.get_untracked().is_some_and(|t| t.id == item.id) {
                                            delete_reach.set(item.created_keys.unwrap_or(0));
                                        }
                                    }
                                });
                            }>
                            <icons::Trash/>
                        </button>
                    </div></td>
                </tr>
            }
        }
    };

    let all_on_page_selected = move || {
        page.get().is_some_and(|p| {
            !p.items.is_empty() && p.items.iter().all(|i| selected.get().contains(&i.id))
        })
    };
    let toggle_all = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let ids: Vec<String> = page
            .get_untracked()
            .map(|p| p.items.into_iter().map(|i| i.id).collect())
            .unwrap_or_default();
        selected.update(|s| {
            for id in ids {
                if on {
                    s.insert(id);
                } else {
                    s.remove(&id);
                }
            }
        });
    };

    let go_page = go.clone();
    let go_size = go.clone();
    view! {
        <section class="page keys-page">
            <div class="page-head">
                <h1>"API Keys"</h1>
                <div class="head-actions">
                    <button type="button" class="btn btn-danger"
                        disabled=move || selected.get().is_empty()
                        on:click=move |_| bulk_open.set(true)>"Bulk Delete"</button>
                    <button type="button" class="btn btn-primary" on:click=move |_| add_open.set(true)>
                        <icons::Plus/>"Add New"
                    </button>
                </div>
                <label class="search">
                    <icons::Search/>
                    <input type="search" placeholder="Search by name or creator" aria-label="Search API keys"
                        prop:value=move || search.get() on:input=on_search/>
                </label>
            </div>
            <div class="filters" role="group" aria-label="Filter API keys">
                {KeyFilter::ALL.into_iter().map(|f| {
                    let set_filter = set_filter.clone();
                    view! {
                        <button type="button" class="chip"
                            aria-pressed=move || (view_state.get().filter == f).to_string()
                            on:click=move |_| set_filter(f)>{f.label()}</button>
                    }
                }).collect_view()}
            </div>
            <div class="table-wrap" aria-busy=move || loading.get().to_string()>
                <table class="keys-table">
                    <caption class="visually-hidden">"API keys"</caption>
                    <thead>
                        <tr>
                            <th scope="col" class="col-select">
                                <input type="checkbox" aria-label="Select all on this page"
                                    prop:checked=all_on_page_selected on:change=toggle_all/>
                            </th>
                            {sort_header(SortField::Name, "Name")}
                            <th scope="col" class="col-secret">"Secret Key"</th>
                            {sort_header(SortField::Created, "Created")}
                            {sort_header(SortField::LastUsed, "Last Used")}
                            <th scope="col" class="col-creator">"Created By"</th>
                            <th scope="col" class="col-actions">"Action"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || match page.get() {
                            None => (0..5).map(|_| view! {
                                <tr class="skeleton-row" aria-hidden="true">
                                    <td colspan="7"><span class="skeleton"></span></td>
                                </tr>
                            }).collect_view().into_any(),
                            Some(p) if p.items.is_empty() => {
                                let v = view_state.get();
                                let message = if !v.query.is_empty() {
                                    format!("No API keys match “{}”", v.query)
                                } else if v.filter != KeyFilter::All {
                                    "No API keys match this filter.".to_owned()
                                } else {
                                    "No API keys yet. Create one with Add New to connect your first shop.".to_owned()
                                };
                                view! { <tr><td colspan="7" class="empty">{message}</td></tr> }.into_any()
                            }
                            Some(p) => p.items.into_iter().map(row_view.clone()).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            {move || page.get().map(|p| {
                let v = view_state.get();
                let last = p.total.div_ceil(p.page_size).max(1);
                let first_row = if p.total == 0 { 0 } else { (p.page - 1) * p.page_size + 1 };
                let last_row = ((p.page - 1) * p.page_size + p.items.len() as u64).min(p.total);
                let go_prev = go_page.clone();
                let go_next = go_page.clone();
                let go_num = go_page.clone();
                let go_size = go_size.clone();
                let v_prev = v.clone();
                let v_next = v.clone();
                let v_size = v.clone();
                view! {
                    <nav class="pagination" aria-label="Pagination">
                        <p class="showing">{format!("Showing {first_row}–{last_row} of {}", p.total)}</p>
                        <label class="page-size">
                            "Rows per page"
                            <select on:change=move |ev| {
                                let size = event_target_value(&ev).parse().unwrap_or(DEFAULT_PAGE_SIZE);
                                go_size(ListView { size, page: 1, ..v_size.clone() }, false);
                            }>
                                {PAGE_SIZES.into_iter().map(|s| view! {
                                    <option value=s.to_string() selected=s == v.size>{s.to_string()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <div class="pages">
                            <button type="button" class="btn btn-ghost" disabled={v.page <= 1}
                                on:click=move |_| go_prev(ListView { page: v_prev.page - 1, ..v_prev.clone() }, false)>"Previous"</button>
                            {page_numbers(v.page, last).into_iter().map(|n| match n {
                                None => view! { <span class="gap" aria-hidden="true">"…"</span> }.into_any(),
                                Some(n) => {
                                    let go_num = go_num.clone();
                                    let v = v.clone();
                                    let current = n == v.page;
                                    view! {
                                        <button type="button" class="page-num" aria-label=format!("Page {n}")
                                            aria-current=current.then_some("page")
                                            on:click=move |_| go_num(ListView { page: n, ..v.clone() }, false)>{n.to_string()}</button>
                                    }.into_any()
                                }
                            }).collect_view()}
                            <button type="button" class="btn btn-ghost" disabled={v.page >= last}
                                on:click=move |_| go_next(ListView { page: v_next.page + 1, ..v_next.clone() }, false)>"Next"</button>
                        </div>
                    </nav>
                }
            })}
            <AddKeyDialog open=add_open on_created=on_created/>
            <ConfirmDialog open=delete_open
                title=Signal::derive(move || delete_target.get().map(|k| format!("Delete API key “{}”?", k.name)).unwrap_or_default())
                message="Integrations using this key stop working immediately. This cannot be undone.".to_string()
                confirm_label="Delete" on_confirm=confirm_delete busy=deleting
                cascade=cascade_delete cascade_label=Signal::derive(move || cascade_label("delete", delete_reach.get()))/>
            <ConfirmDialog open=bulk_open title=Signal::derive(count_label)
                message="Integrations using these keys stop working immediately. This cannot be undone.".to_string()
                confirm_label="Delete" on_confirm=confirm_bulk busy=bulk_deleting
                cascade=cascade_bulk cascade_label="Also delete the keys created from these keys".to_string()/>
        </section>
    }
}

//! `/keys`: the API Keys page. Search, filter, sort, page and page size live in the URL; the
//! list is a resource keyed on that view and on the versions of the actions that change keys.

mod columns;
mod pagination;
pub mod row;
mod sort_header;
mod view;

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_location, use_navigate, use_query_map},
    NavigateOptions,
};

use crate::{
    api::{
        keys::{list_keys, BulkDeleteKeys, CreateKey, DeleteKey, ExportKeys},
        types::{CreatedKey, KeyFilter, KeyItem, SortField},
    },
    components::{
        download, icons,
        list_url::LastListUrl,
        reauth::sudo_action,
        session::{use_error_reporter, use_session},
        tips::{Tips, LIST_TIPS},
        toast::use_toasts,
    },
    pages::key_dialogs::{AddKeyDialog, ConfirmDialog, DeleteKeyDialog},
};

use columns::{Column, ColumnPicker, Columns};
use pagination::Pagination;
use row::KeyRow;
use sort_header::SortHeader;
pub use view::ListView;

/// Select, Name, Secret Key, Created, Last Used, Created By, Action.
const BASE_COLUMNS: usize = 7;

#[component]
pub fn KeysPage() -> impl IntoView {
    let query = use_query_map();
    let view_state = Memo::new(move |_| ListView::from_query(&query.get()));
    let navigate = use_navigate();
    let report = use_error_reporter();
    let toasts = use_toasts();
    let last_list = expect_context::<LastListUrl>();
    let columns = Columns::load();
    // Cells that span the row: the seed's seven columns and the optional ones shown.
    let span = move || (BASE_COLUMNS + columns.count()).to_string();

    // A new view is a new history entry (Back undoes it); corrections of the URL replace it.
    let navigate_to = move |v: ListView, replace: bool| {
        navigate(
            &v.url(),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let go = Callback::new({
        let navigate_to = navigate_to.clone();
        move |v: ListView| navigate_to(v, false)
    });
    let replace = Callback::new(move |v: ListView| navigate_to(v, true));

    // Remember this view for Back buttons (not the empty query seen while leaving the page).
    last_list.list_shown();
    let location = use_location();
    Effect::new(move |_| {
        let url = view_state.get().url();
        if location.pathname.get() == "/keys" {
            last_list.set(url);
        }
    });

    let session = use_session();
    let exporting = RwSignal::new(false);
    let export = Callback::new(move |_| {
        let v = view_state.get_untracked();
        let args = ExportKeys {
            query: Some(v.query).filter(|q| !q.is_empty()),
            sort: Some(v.sort),
            order: Some(v.order),
            filter: Some(v.filter),
        };
        exporting.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = download::save(&args, "api-keys.csv").await {
                report(e, None);
            }
            exporting.set(false);
        });
    });
    // What changes keys, and the list that reloads whenever one of them completes.
    // Creating a key that can change keys, and deleting in bulk, may ask for the password.
    let create = sudo_action::<CreateKey>();
    let delete = ServerAction::<DeleteKey>::new();
    let bulk_delete = sudo_action::<BulkDeleteKeys>();
    let keys = LocalResource::new(move || {
        let v = view_state.get();
        create.version().track();
        delete.version().track();
        bulk_delete.version().track();
        list_keys(
            Some(v.query.clone()).filter(|q| !q.trim().is_empty()),
            Some(v.page),
            Some(v.size),
            Some(v.sort),
            Some(v.order),
            Some(v.filter),
        )
    });
    let loading = RwSignal::new(false);
    let retry = Callback::new(move |_| keys.refetch());
    Effect::new(move |_| {
        if let Some(Err(e)) = keys.get() {
            report(e, Some(retry));
        }
    });
    let page = Memo::new(move |_| keys.get().and_then(Result::ok));

    // A page beyond the end (after deletions) moves back to the last one.
    Effect::new(move |_| {
        if let Some(p) = page.get() {
            let v = view_state.get_untracked();
            // (An estimated total knows no last page: one back, where Next came from.)
            let last = p
                .last_page()
                .unwrap_or_else(|| v.page.saturating_sub(1).max(1));
            if p.items.is_empty() && v.page > last {
                replace.run(ListView { page: last, ..v });
            }
        }
    });

    // Selection (for Bulk Delete) belongs to one view: a new search, filter, sort or page
    // clears it.
    let selected = RwSignal::new(HashSet::<String>::new());
    Effect::new(move |_| {
        view_state.track();
        selected.set(HashSet::new());
    });
    // A key that left the page (deleted from its row, say) leaves the selection too.
    Effect::new(move |_| {
        if let Some(p) = page.get() {
            let gone = selected
                .with_untracked(|s| s.iter().any(|id| !p.items.iter().any(|i| &i.id == id)));
            if gone {
                selected.update(|s| s.retain(|id| p.items.iter().any(|i| &i.id == id)));
            }
        }
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
    on_cleanup(move || {
        if let Some(h) = debounce.try_get_value().flatten() {
            h.clear();
        }
    });
    let on_search = move |ev: leptos::ev::Event| {
        search.set(event_target_value(&ev));
        if let Some(h) = debounce.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let v = view_state.get_untracked();
                let q = search.get_untracked().trim().to_owned();
                if q != v.query {
                    replace.run(ListView {
                        query: q,
                        page: 1,
                        ..v
                    });
                }
            },
            std::time::Duration::from_millis(250),
        )
        .ok();
        debounce.set_value(handle);
    };

    // Add New: the newest key sits at the top of the default view.
    let add_open = RwSignal::new(false);
    let on_created = Callback::new(move |created: CreatedKey| {
        toasts.info(format!("Created “{}”", created.key.name));
        if view_state.get_untracked() != ListView::default() {
            go.run(ListView::default());
        }
    });

    // Delete one.
    let delete_target = RwSignal::new(None::<KeyItem>);
    let delete_open = RwSignal::new(false);
    let on_delete = Callback::new(move |item: KeyItem| {
        delete_target.set(Some(item));
        delete_open.set(true);
    });

    // Bulk Delete.
    let bulk_open = RwSignal::new(false);
    let cascade_bulk = RwSignal::new(false);
    let confirm_bulk = Callback::new(move |_| {
        bulk_delete.dispatch(BulkDeleteKeys {
            ids: selected.get_untracked().into_iter().collect(),
            cascade: cascade_bulk.get_untracked(),
        });
    });
    Effect::new(move |_| match bulk_delete.value().get() {
        Some(Ok(n)) => {
            bulk_delete.clear();
            toasts.info(format!(
                "Deleted {n} API {}",
                if n == 1 { "key" } else { "keys" }
            ));
            bulk_open.set(false);
            selected.set(HashSet::new());
        }
        Some(Err(e)) => {
            bulk_delete.clear();
            report(e, None);
        }
        None => {}
    });
    let count_label = move || {
        let n = selected.get().len();
        format!("Delete {n} API {}?", if n == 1 { "key" } else { "keys" })
    };
    // The confirmation names what goes: the first few, then how many more.
    let bulk_message = move || {
        const NAMED: usize = 3;
        let chosen = selected.get();
        let names: Vec<String> = page
            .get()
            .map(|p| {
                p.items
                    .into_iter()
                    .filter(|i| chosen.contains(&i.id))
                    .map(|i| format!("“{}”", i.name))
                    .collect()
            })
            .unwrap_or_default();
        let listed = match names.len() {
            0 => String::new(),
            n if n <= NAMED => format!("{}. ", names.join(", ")),
            n => format!("{} and {} more. ", names[..NAMED].join(", "), n - NAMED),
        };
        format!("{listed}Integrations using these keys stop working immediately. This cannot be undone.")
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

    let empty_message = move || {
        let v = view_state.get();
        if !v.query.is_empty() {
            format!("No API keys match “{}”", v.query)
        } else if v.filter != KeyFilter::All {
            "No API keys match this filter.".to_owned()
        } else {
            "No API keys yet. Create one with Add New to connect your first shop.".to_owned()
        }
    };
    let skeleton = move || {
        (0..5)
            .map(|_| {
                view! {
                    <tr class="skeleton-row" aria-hidden="true">
                        <td colspan=span><span class="skeleton"></span></td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <section class="page keys-page">
            <div class="page-head">
                <h1>"API Keys"</h1>
                <div class="head-actions">
                    // What is searched and filtered now, every page of it, never a secret.
                    <button type="button" class="btn btn-secondary" disabled=move || exporting.get()
                        on:click=move |_| export.run(())>"Export CSV"</button>
                    // A viewer sees the list without what the server would refuse them.
                    <Show when=move || session.can_manage()>
                        <button type="button" class="btn btn-danger"
                            disabled=move || selected.get().is_empty()
                            on:click=move |_| bulk_open.set(true)>"Bulk Delete"</button>
                        <button type="button" class="btn btn-primary" on:click=move |_| add_open.set(true)>
                            <icons::Plus/>"Add New"
                        </button>
                    </Show>
                </div>
                <label class="search">
                    <icons::Search/>
                    <input type="search" placeholder="Search by name or creator" aria-label="Search API keys"
                        prop:value=move || search.get() on:input=on_search/>
                </label>
            </div>
            <div class="list-tools">
            <div class="filters" role="group" aria-label="Filter API keys">
                {KeyFilter::ALL.into_iter().map(|filter| view! {
                    <button type="button" class="chip"
                        aria-pressed=move || (view_state.get().filter == filter).to_string()
                        on:click=move |_| go.run(ListView { filter, page: 1, ..view_state.get_untracked() })>
                        {filter.label()}
                    </button>
                }).collect_view()}
            </div>
            <ColumnPicker columns=columns/>
            </div>
            // Selection belongs to the page on screen: changing page, search, filter or sort
            // clears it (the bar says so), so Bulk Delete never reaches rows out of sight.
            {move || {
                let n = selected.get().len();
                (n > 0).then(|| view! {
                    <div class="selection-bar" role="status">
                        <strong>{format!("{n} selected")}</strong>
                        <button type="button" class="btn btn-ghost btn-small" on:click=move |_| selected.set(HashSet::new())>
                            "Clear selection"
                        </button>
                        <span class="muted small">"Changing page, search, filter or sort clears the selection."</span>
                    </div>
                })
            }}
            <div class="table-wrap" aria-busy=move || loading.get().to_string()>
                <table class="keys-table">
                    <caption class="visually-hidden">"API keys"</caption>
                    <thead>
                        <tr>
                            <th scope="col" class="col-select">
                                <Show when=move || session.can_manage()>
                                    <input type="checkbox" aria-label="Select all on this page"
                                        prop:checked=all_on_page_selected on:change=toggle_all/>
                                </Show>
                            </th>
                            <SortHeader field=SortField::Name label="Name" view=view_state go=go/>
                            <th scope="col" class="col-secret">"Secret Key"</th>
                            <SortHeader field=SortField::Created label="Created" view=view_state go=go/>
                            <SortHeader field=SortField::LastUsed label="Last Used" view=view_state go=go/>
                            {move || columns.shows(Column::Expires).then(|| view! {
                                <SortHeader field=SortField::Expires label="Expires" view=view_state go=go/>
                            })}
                            {move || columns.shows(Column::Project).then(|| view! { <th scope="col" class="col-project">"Project"</th> })}
                            {move || columns.shows(Column::Scopes).then(|| view! { <th scope="col" class="col-scopes">"Scopes"</th> })}
                            <th scope="col" class="col-creator">"Created By"</th>
                            <th scope="col" class="col-actions">"Action"</th>
                        </tr>
                    </thead>
                    <tbody>
                        // The previous rows stay while the next page loads (`aria-busy` says so).
                        <Transition fallback=skeleton set_pending=loading>
                            {move || keys.get().map(|result| match result {
                                Err(_) => view! {
                                    <tr><td colspan=span class="empty">"API keys could not be loaded."</td></tr>
                                }.into_any(),
                                Ok(p) if p.items.is_empty() => view! {
                                    <tr><td colspan=span class="empty">
                                        <p>{empty_message}</p>
                                        {move || (view_state.get() == ListView::default()).then(|| view! {
                                            <p class="empty-actions">
                                                <button type="button" class="btn btn-primary" on:click=move |_| add_open.set(true)>
                                                    "Create your first API key"
                                                </button>
                                                <a href="/api/v1/openapi.json">"API reference (OpenAPI)"</a>
                                            </p>
                                        })}
                                    </td></tr>
                                }.into_any(),
                                Ok(p) => p.items.into_iter().map(|item| view! {
                                    <KeyRow item=item selected=selected columns=columns on_delete=on_delete/>
                                }).collect_view().into_any(),
                            })}
                        </Transition>
                    </tbody>
                </table>
            </div>
            {move || page.get().map(|p| view! { <Pagination page=p view=view_state.get() go=go/> })}
            <Tips page="list" tips=&LIST_TIPS/>
            <AddKeyDialog open=add_open create=create on_created=on_created/>
            <DeleteKeyDialog open=delete_open target=delete_target delete=delete/>
            <ConfirmDialog open=bulk_open title=Signal::derive(count_label)
                message=Signal::derive(bulk_message)
                confirm_label="Delete" on_confirm=confirm_bulk busy=bulk_delete.pending()
                cascade=cascade_bulk cascade_label="Also delete the keys created from these keys".to_string()/>
        </section>
    }
}

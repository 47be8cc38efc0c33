//! The list's footer: which rows are shown, rows per page, and page buttons.

use leptos::prelude::*;

use crate::{
    api::types::{KeyPage, DEFAULT_PAGE_SIZE},
    components::focus::focus_heading,
};

use super::view::{ListView, PAGE_SIZES};

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

/// Nothing at all for an empty list ("Showing 0–0 of 0" says nothing). A page button moves
/// focus to the page's heading once the new page is in; choosing a page size does not (a
/// choice in a select must not move focus).
#[component]
pub fn Pagination(page: KeyPage, view: ListView, go: Callback<ListView>) -> impl IntoView {
    let set_size = go;
    let go = Callback::new(move |v: ListView| {
        go.run(v);
        focus_heading();
    });
    (page.total > 0).then(|| {
        let offset = (page.page - 1) * page.page_size;
        let first_row = offset + 1;
        let shown = offset + page.items.len() as u64;
        // An estimated total ("about N") has no known last page: offer the pages around this
        // one, and Next while this page is full.
        let more = page.items.len() as u64 == page.page_size;
        let (last, last_row) = match page.last_page() {
            Some(last) => (last, shown.min(page.total)),
            None => (view.page + if more { 2 } else { 0 }, shown),
        };
        let mut numbers = page_numbers(view.page, last);
        if page.total_is_estimate && more {
            numbers.push(None);
        }
        let showing = format!("Showing {first_row}–{last_row} of {}", page.total_text());
        let (v_size, v_prev, v_next) = (view.clone(), view.clone(), view.clone());
        view! {
            <nav class="pagination" aria-label="Pagination">
                <p class="showing">{showing}</p>
                <label class="page-size">
                    "Rows per page"
                    <select on:change=move |ev| {
                        let size = event_target_value(&ev).parse().unwrap_or(DEFAULT_PAGE_SIZE);
                        set_size.run(ListView { size, page: 1, ..v_size.clone() });
                    }>
                        {PAGE_SIZES.into_iter().map(|s| view! {
                            <option value=s.to_string() selected=s == view.size>{s.to_string()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <div class="pages">
                    <button type="button" class="btn btn-ghost" disabled={view.page <= 1}
                        on:click=move |_| go.run(ListView { page: v_prev.page - 1, ..v_prev.clone() })>"Previous"</button>
                    {numbers.into_iter().map(|n| match n {
                        None => view! { <span class="gap" aria-hidden="true">"…"</span> }.into_any(),
                        Some(n) => {
                            let v = view.clone();
                            let current = n == v.page;
                            view! {
                                <button type="button" class="page-num" aria-label=format!("Page {n}")
                                    aria-current=current.then_some("page")
                                    on:click=move |_| go.run(ListView { page: n, ..v.clone() })>{n.to_string()}</button>
                            }.into_any()
                        }
                    }).collect_view()}
                    <button type="button" class="btn btn-ghost" disabled={view.page >= last}
                        on:click=move |_| go.run(ListView { page: v_next.page + 1, ..v_next.clone() })>"Next"</button>
                </div>
            </nav>
        }
    })
}

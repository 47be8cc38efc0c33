//! A sortable column heading: a button that sorts by its field, flipping the order when the
//! list is already sorted by it, with `aria-sort` saying the current state.

use leptos::prelude::*;

use crate::api::types::{SortField, SortOrder};

use super::view::ListView;

#[component]
pub fn SortHeader(
    field: SortField,
    label: &'static str,
    view: Memo<ListView>,
    go: Callback<ListView>,
) -> impl IntoView {
    let aria = move || {
        let v = view.get();
        match (v.sort == field, v.order) {
            (false, _) => "none",
            (true, SortOrder::Asc) => "ascending",
            (true, SortOrder::Desc) => "descending",
        }
    };
    let sort = move |_| {
        let v = view.get_untracked();
        let order = if v.sort == field {
            v.order.flip()
        } else if field == SortField::Name {
            SortOrder::Asc
        } else {
            SortOrder::Desc
        };
        go.run(ListView {
            sort: field,
            order,
            page: 1,
            ..v
        });
    };
    view! {
        <th scope="col" aria-sort=aria class=format!("col-{}", field.as_str())>
            <button type="button" class="sort" on:click=sort>
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

//! The list's optional columns (Expires, Project, Scopes): shown or hidden by the admin, the
//! choice remembered in this browser.

use leptos::prelude::*;

const STORAGE_KEY: &str = "licenseshipper.keyColumns";

/// An optional column of the keys table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Column {
    Expires,
    Project,
    Scopes,
}

impl Column {
    pub const ALL: [Column; 3] = [Column::Expires, Column::Project, Column::Scopes];

    pub fn label(self) -> &'static str {
        match self {
            Column::Expires => "Expires",
            Column::Project => "Project",
            Column::Scopes => "Scopes",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Column::Expires => "expires",
            Column::Project => "project",
            Column::Scopes => "scopes",
        }
    }

    /// Shown until the admin says otherwise.
    fn default_shown(self) -> bool {
        self == Column::Expires
    }
}

/// Which optional columns are shown.
#[derive(Clone, Copy)]
pub struct Columns(RwSignal<Vec<Column>>);

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

impl Columns {
    pub fn load() -> Self {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let shown = match stored {
            Some(list) => Column::ALL
                .into_iter()
                .filter(|c| list.split(',').any(|id| id == c.id()))
                .collect(),
            None => Column::ALL
                .into_iter()
                .filter(|c| c.default_shown())
                .collect(),
        };
        Self(RwSignal::new(shown))
    }

    pub fn shows(&self, column: Column) -> bool {
        self.0.with(|shown| shown.contains(&column))
    }

    /// How many optional columns are shown (for cells spanning the whole row).
    pub fn count(&self) -> usize {
        self.0.with(Vec::len)
    }

    pub fn set(&self, column: Column, on: bool) {
        self.0.update(|shown| {
            shown.retain(|c| *c != column);
            if on {
                shown.push(column);
            }
            shown.sort_by_key(|c| Column::ALL.iter().position(|x| x == c));
        });
        if let Some(s) = storage() {
            let ids: Vec<&str> = self
                .0
                .with_untracked(|v| v.iter().map(|c| c.id()).collect());
            let _ = s.set_item(STORAGE_KEY, &ids.join(","));
        }
    }
}

/// A "Columns" disclosure with one checkbox per optional column.
#[component]
pub fn ColumnPicker(columns: Columns) -> impl IntoView {
    view! {
        <details class="column-picker">
            <summary>"Columns"</summary>
            <div class="column-picker-body" role="group" aria-label="Columns to show">
                {Column::ALL.into_iter().map(|c| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || columns.shows(c)
                            on:change=move |ev| columns.set(c, event_target_checked(&ev))/>
                        <span>{c.label()}</span>
                    </label>
                }).collect_view()}
            </div>
        </details>
    }
}

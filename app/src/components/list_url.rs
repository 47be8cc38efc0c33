//! Where the keys list was last, and whether a details page was opened from it: Back then goes
//! back in history (to that very list view) instead of adding an entry.

use leptos::prelude::*;

/// Where the keys list was last (search, filter, sort, page), for Back buttons. Kept in
/// sessionStorage, so it survives a reload of the details page.
#[derive(Clone, Copy)]
pub struct LastListUrl {
    url: RwSignal<String>,
    /// The key whose details the list opened last (cleared whenever the list shows again).
    opened: StoredValue<Option<String>>,
}

const LAST_LIST_KEY: &str = "licenseshipper.lastListUrl";

impl LastListUrl {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window().and_then(|w| w.session_storage().ok().flatten())
    }

    pub fn load() -> Self {
        let stored = Self::storage()
            .and_then(|s| s.get_item(LAST_LIST_KEY).ok().flatten())
            .filter(|url| url == "/keys" || url.starts_with("/keys?"));
        Self {
            url: RwSignal::new(stored.unwrap_or_else(|| "/keys".into())),
            opened: StoredValue::new(None),
        }
    }

    pub fn get(&self) -> String {
        self.url.get_untracked()
    }

    /// The list is opening `id`'s details: the history entry before them is this list.
    pub fn open_from_list(&self, id: &str) {
        self.opened.set_value(Some(id.to_owned()));
    }

    /// The list is showing; nothing is open from it.
    pub fn list_shown(&self) {
        self.opened.set_value(None);
    }

    /// True when `id`'s details were opened from the list (so history's previous entry is it).
    pub fn opened_from_list(&self, id: &str) -> bool {
        self.opened.with_value(|o| o.as_deref() == Some(id))
    }

    pub fn set(&self, url: String) {
        if let Some(storage) = Self::storage() {
            let _ = storage.set_item(LAST_LIST_KEY, &url);
        }
        self.url.set(url);
    }
}

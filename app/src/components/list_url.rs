//! Where the keys list was last, for the details page's Back.

use leptos::prelude::*;

/// Where the keys list was last (search, filter, sort, page), for Back buttons. Kept in
/// sessionStorage, so it survives a reload of the details page.
#[derive(Clone, Copy)]
pub struct LastListUrl(RwSignal<String>);

const LAST_LIST_KEY: &str = "licenseshipper.lastListUrl";

impl LastListUrl {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window().and_then(|w| w.session_storage().ok().flatten())
    }

    pub fn load() -> Self {
        let stored = Self::storage()
            .and_then(|s| s.get_item(LAST_LIST_KEY).ok().flatten())
            .filter(|url| url == "/keys" || url.starts_with("/keys?"));
        Self(RwSignal::new(stored.unwrap_or_else(|| "/keys".into())))
    }

    pub fn get(&self) -> String {
        self.0.get_untracked()
    }

    pub fn set(&self, url: String) {
        if let Some(storage) = Self::storage() {
            let _ = storage.set_item(LAST_LIST_KEY, &url);
        }
        self.0.set(url);
    }
}

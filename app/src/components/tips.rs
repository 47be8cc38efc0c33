//! The seed's Tips, in its words, as a compact panel each admin can dismiss (remembered in
//! this browser per admin and page) and bring back.

use leptos::prelude::*;

use super::session::use_session;

/// The API Keys page's tips.
pub const LIST_TIPS: [&str; 4] = [
    "Use a separate API key per integration (e.g., one for WooCommerce, one for Shopify).",
    "Rotate keys periodically for security.",
    "Delete unused keys to reduce security risks.",
    "Keep your Secret Key private – treat it like a password.",
];

/// The API Key Details page's tips.
pub const DETAILS_TIPS: [&str; 3] = [
    "Use this page to copy your API key for integration into external apps.",
    "Rotate or regenerate keys periodically for better security.",
    "Share keys only with trusted developers or systems.",
];

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

#[component]
pub fn Tips(page: &'static str, tips: &'static [&'static str]) -> impl IntoView {
    let session = use_session();
    let key = Memo::new(move |_| {
        session
            .user
            .get()
            .map(|u| format!("licenseshipper.tips.{page}.{}", u.id))
    });
    let stored = move |key: Option<String>| {
        key.and_then(|k| storage()?.get_item(&k).ok().flatten())
            .is_some()
    };
    let dismissed = RwSignal::new(stored(key.get_untracked()));
    Effect::new(move |_| dismissed.set(stored(key.get())));
    let set = move |hide: bool| {
        if let (Some(k), Some(s)) = (key.get_untracked(), storage()) {
            let _ = if hide {
                s.set_item(&k, "dismissed")
            } else {
                s.remove_item(&k)
            };
        }
        dismissed.set(hide);
    };
    view! {
        {move || if dismissed.get() {
            view! {
                <button type="button" class="btn btn-ghost btn-small tips-show" on:click=move |_| set(false)>"Show tips"</button>
            }.into_any()
        } else {
            view! {
                <aside class="tips" aria-label="Tips">
                    <h2>"Tips"</h2>
                    <ul>{tips.iter().map(|t| view! { <li>{*t}</li> }).collect_view()}</ul>
                    <button type="button" class="btn-icon tips-close" aria-label="Dismiss tips" on:click=move |_| set(true)>"×"</button>
                </aside>
            }.into_any()
        }}
    }
}

//! A stored key's secret as the list rows and the details page show it: masked until
//! revealed through the audited reveal function, with Reveal/Hide and Copy buttons. A key
//! stored without an encrypted copy (not recoverable) offers neither: its buttons are
//! disabled and say why.

use leptos::prelude::*;

use crate::api::{keys::reveal_key, types::KeyItem, ApiError};

use super::{
    clipboard, icons,
    session::use_error_reporter,
    toast::{use_toasts, Toasts},
};

/// Why a non-recoverable key's secret cannot be revealed or copied.
pub const NOT_RECOVERABLE_HINT: &str = "Shown once at creation; regenerate to get a new secret";

/// One key's secret on screen: which key, its masked form, and the secret once revealed.
#[derive(Clone, Copy)]
pub struct SecretState {
    id: StoredValue<String>,
    masked: StoredValue<String>,
    recoverable: bool,
    revealed: RwSignal<Option<String>>,
    toasts: Toasts,
    report: Callback<ApiError>,
}

impl SecretState {
    pub fn new(item: &KeyItem) -> Self {
        Self {
            id: StoredValue::new(item.id.clone()),
            masked: StoredValue::new(item.masked.clone()),
            recoverable: item.recoverable,
            revealed: RwSignal::new(None),
            toasts: use_toasts(),
            report: {
                let report = use_error_reporter();
                Callback::new(move |e| report(e, None))
            },
        }
    }

    pub fn is_revealed(&self) -> bool {
        self.revealed.with(Option::is_some)
    }

    /// Reveals the secret, or hides it again.
    pub fn toggle(self) {
        if !self.recoverable {
            return;
        }
        if self.revealed.get_untracked().is_some() {
            self.revealed.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match reveal_key(self.id.get_value()).await {
                Ok(s) => self.revealed.set(Some(s.secret)),
                Err(e) => self.report.run(e),
            }
        });
    }

    /// Copies the secret (revealing it through the audited function unless already shown).
    pub fn copy(self) {
        if !self.recoverable {
            return;
        }
        let known = self.revealed.get_untracked();
        leptos::task::spawn_local(async move {
            let secret = match known {
                Some(s) => s,
                None => match reveal_key(self.id.get_value()).await {
                    Ok(s) => s.secret,
                    Err(e) => return self.report.run(e),
                },
            };
            match clipboard::copy(&secret).await {
                Ok(()) => self.toasts.info("Copied"),
                Err(e) => self.toasts.error(&ApiError::BadRequest(e), None),
            }
        });
    }
}

/// The secret itself: masked, or in full once revealed.
#[component]
pub fn SecretText(state: SecretState) -> impl IntoView {
    view! {
        {move || match state.revealed.get() {
            Some(secret) => view! { <code class="secret revealed">{secret}</code> }.into_any(),
            None => view! { <code class="secret">{state.masked.get_value()}</code> }.into_any(),
        }}
        {(!state.recoverable).then(|| view! {
            <span class="badge badge-once" title=NOT_RECOVERABLE_HINT>"Shown once"</span>
        })}
    }
}

/// Reveal/Hide. `toggle_label`: one label with `aria-pressed` (the list's "View"), or none for
/// "Reveal"/"Hide" (the details page).
#[component]
pub fn RevealButton(
    state: SecretState,
    #[prop(optional)] toggle_label: Option<&'static str>,
) -> impl IntoView {
    let label = move || match toggle_label {
        Some(l) => l,
        None if state.is_revealed() => "Hide",
        None => "Reveal",
    };
    let title = if state.recoverable {
        "Reveal the secret key"
    } else {
        NOT_RECOVERABLE_HINT
    };
    view! {
        <button type="button" class="btn-icon" aria-label=label title=title
            aria-pressed=move || toggle_label.map(|_| state.is_revealed().to_string())
            aria-disabled=(!state.recoverable).then_some("true")
            on:click=move |_| state.toggle()>
            {move || if state.is_revealed() {
                view! { <icons::EyeOff/> }.into_any()
            } else {
                view! { <icons::Eye/> }.into_any()
            }}
        </button>
    }
}

#[component]
pub fn CopyButton(state: SecretState) -> impl IntoView {
    let title = if state.recoverable {
        "Copy secret key"
    } else {
        NOT_RECOVERABLE_HINT
    };
    view! {
        <button type="button" class="btn-icon" aria-label="Copy" title=title
            aria-disabled=(!state.recoverable).then_some("true")
            on:click=move |_| state.copy()>
            <icons::Copy/>
        </button>
    }
}

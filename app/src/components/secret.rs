//! A stored key's secret as the list rows and the details page show it: masked until
//! revealed through the audited reveal function, with Reveal/Hide and Copy buttons. A key
//! stored without an encrypted copy (not recoverable) offers neither: its buttons are
//! disabled and say why.

use leptos::prelude::*;

use crate::api::{keys::RevealKey, types::KeyItem};

use super::{
    clipboard, icons,
    reauth::{sudo_action, SudoAction},
    session::use_error_reporter,
    toast::{use_toasts, Toasts},
};

/// How long a revealed secret stays on screen before it hides itself.
pub const REVEAL_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a non-recoverable key's secret cannot be revealed or copied.
pub const NOT_RECOVERABLE_HINT: &str = "Shown once at creation; regenerate to get a new secret";

/// What a reveal was asked for: to show the secret, or to copy it without showing it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Show,
    Copy,
}

/// One key's secret on screen: which key, its masked form, and the secret once revealed.
/// Revealing is a server action owned by the row or page, so an answer that arrives after
/// they are gone is dropped with them.
#[derive(Clone, Copy)]
pub struct SecretState {
    id: StoredValue<String>,
    masked: StoredValue<String>,
    recoverable: bool,
    revealed: RwSignal<Option<String>>,
    reveal: SudoAction<RevealKey>,
    purpose: StoredValue<Purpose>,
    /// Counts reveals, so an earlier reveal's timer does not hide a later one early.
    reveals: StoredValue<u32>,
    /// The app's toasts (they outlive any row).
    toasts: Toasts,
}

impl SecretState {
    pub fn new(item: &KeyItem) -> Self {
        let toasts = use_toasts();
        let report = use_error_reporter();
        let state = Self {
            id: StoredValue::new(item.id.clone()),
            masked: StoredValue::new(item.masked.clone()),
            recoverable: item.recoverable,
            revealed: RwSignal::new(None),
            reveal: sudo_action(),
            purpose: StoredValue::new(Purpose::Show),
            reveals: StoredValue::new(0),
            toasts,
        };
        Effect::new(move |_| {
            match state.reveal.value().get() {
                Some(Ok(s)) if state.purpose.get_value() == Purpose::Copy => {
                    clipboard::copy_and_say(s.secret, toasts, None)
                }
                Some(Ok(s)) => {
                    state.revealed.set(Some(s.secret));
                    state.hide_later();
                }
                Some(Err(e)) => report(e, None),
                None => return,
            }
            state.reveal.clear();
        });
        state
    }

    pub fn is_revealed(&self) -> bool {
        self.revealed.with(Option::is_some)
    }

    fn ask(self, purpose: Purpose) {
        self.purpose.set_value(purpose);
        self.reveal.dispatch(RevealKey {
            id: self.id.get_value(),
        });
    }

    /// Reveals the secret, or hides it again.
    pub fn toggle(self) {
        if !self.recoverable || self.reveal.pending().get_untracked() {
            return;
        }
        if self.revealed.get_untracked().is_some() {
            self.revealed.set(None);
        } else {
            self.ask(Purpose::Show);
        }
    }

    /// Hides this reveal after [`REVEAL_FOR`] (unless hidden or revealed again meanwhile; a
    /// row that is gone by then is left alone).
    fn hide_later(self) {
        let this = self.reveals.with_value(|n| n + 1);
        self.reveals.set_value(this);
        set_timeout(
            move || {
                if self.reveals.try_get_value() == Some(this) {
                    let _ = self.revealed.try_set(None);
                }
            },
            REVEAL_FOR,
        );
    }

    /// Copies the secret (revealing it through the audited function unless already shown).
    pub fn copy(self) {
        if !self.recoverable || self.reveal.pending().get_untracked() {
            return;
        }
        match self.revealed.get_untracked() {
            Some(secret) => clipboard::copy_and_say(secret, self.toasts, None),
            None => self.ask(Purpose::Copy),
        }
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

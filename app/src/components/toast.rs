//! Toast messages: errors (with Retry where it makes sense) and confirmations.

use leptos::prelude::*;

use crate::api::ApiError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Info,
    Error,
}

#[derive(Clone)]
struct Toast {
    id: u64,
    kind: Kind,
    message: String,
    retry: Option<Callback<()>>,
}

/// At most this many toasts at once.
const MAX_SHOWN: usize = 3;

#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    fn push(&self, kind: Kind, message: String, retry: Option<Callback<()>>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.retain(|t| t.message != message);
            // A short stack: the oldest goes first.
            if l.len() >= MAX_SHOWN {
                l.remove(0);
            }
            l.push(Toast {
                id,
                kind,
                message,
                retry,
            });
        });
        if kind == Kind::Info {
            let list = self.list;
            set_timeout(
                move || list.update(|l| l.retain(|t| t.id != id)),
                std::time::Duration::from_secs(4),
            );
        }
    }

    pub fn info(&self, message: impl Into<String>) {
        self.push(Kind::Info, message.into(), None);
    }

    pub fn error(&self, error: &ApiError, retry: Option<Callback<()>>) {
        self.push(Kind::Error, error.to_string(), retry);
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

pub fn provide_toasts() -> Toasts {
    let toasts = Toasts {
        list: RwSignal::new(Vec::new()),
        next: StoredValue::new(0),
    };
    provide_context(toasts);
    toasts
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    let retry = toast.retry;
                    view! {
                        <div class="toast" class:toast-error=toast.kind == Kind::Error>
                            <span>{toast.message.clone()}</span>
                            {retry.map(|retry| view! {
                                <button class="btn btn-small" on:click=move |_| {
                                    toasts.dismiss(id);
                                    retry.run(());
                                }>"Retry"</button>
                            })}
                            <button class="btn-icon" aria-label="Dismiss" on:click=move |_| toasts.dismiss(id)>"×"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

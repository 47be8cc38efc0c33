//! Modal dialogs on the native `<dialog>`: the page behind is inert (focus stays inside),
//! Escape closes (unless `hold` says not now), and focus returns to where it was. The content
//! exists only while open.

use leptos::{html, prelude::*};

use super::focus::focus_heading_if_lost;

#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    children: ChildrenFn,
    #[prop(optional)] on_close: Option<Callback<()>>,
    /// While true, Escape does not close the dialog; `on_held` runs instead (e.g. to ask first).
    #[prop(optional, into)]
    hold: Option<Signal<bool>>,
    #[prop(optional)] on_held: Option<Callback<()>>,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    let heading_id = format!("dlg-{}", uuid_like());
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let labelled = heading_id.clone();
    view! {
        <dialog node_ref=node class="modal" aria-labelledby=labelled on:cancel=move |ev: leptos::ev::Event| {
            if hold.is_some_and(|h| h.get_untracked()) {
                ev.prevent_default();
                if let Some(cb) = on_held {
                    cb.run(());
                }
            }
        } on:close=move |_| {
            // The browser may close without a cancelable `cancel` (a second Escape with no user
            // activation between): while held, the dialog opens again and asks instead.
            if open.get_untracked() && hold.is_some_and(|h| h.get_untracked()) {
                if let Some(dialog) = node.get_untracked() {
                    let _ = dialog.show_modal();
                }
                if let Some(cb) = on_held {
                    cb.run(());
                }
                return;
            }
            if open.get_untracked() {
                open.set(false);
            }
            if let Some(cb) = on_close {
                cb.run(());
            }
            focus_heading_if_lost();
        }>
            // Rendered only while open: a closed dialog is empty (no stray labels or forms).
            {move || open.get().then(|| view! {
                <h2 id=heading_id.clone()>{move || title.get()}</h2>
                {children()}
            })}
        </dialog>
    }
}

fn uuid_like() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

//! Sudo mode in the client: when the server answers `reauth_required`, one password prompt
//! (shared by everything waiting for it) asks the admin to confirm, and the call is retried.

use leptos::prelude::*;
use server_fn::ServerFn;
use wasm_bindgen::JsValue;

use crate::api::{auth::ConfirmPassword, ApiError};

use super::{
    fields::{form_message, TextField},
    modal::Modal,
};

/// The password prompt, and the calls waiting on it.
#[derive(Clone, Copy)]
pub struct Reauth {
    open: RwSignal<bool>,
    /// Resolvers of the promises `confirm` hands out (browser functions, hence local).
    waiting: StoredValue<Vec<js_sys::Function>, LocalStorage>,
}

impl Reauth {
    /// Shows the prompt; true once the password is confirmed, false if the admin cancels.
    pub async fn confirm(self) -> bool {
        let mut resolver = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
        let Some(resolve) = resolver else {
            return false;
        };
        if self.waiting.try_update_value(|w| w.push(resolve)).is_none() {
            return false;
        }
        self.open.set(true);
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn settle(self, confirmed: bool) {
        let waiting = self
            .waiting
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for resolve in waiting {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(confirmed));
        }
    }
}

pub fn provide_reauth() {
    provide_context(Reauth {
        open: RwSignal::new(false),
        waiting: StoredValue::new_local(Vec::new()),
    });
}

/// An action calling the server function `S`, which may need sudo mode: on `reauth_required`
/// it asks for the password and, once confirmed, calls again (cancelled: the error stands).
pub type SudoAction<S> = Action<S, Result<<S as ServerFn>::Output, ApiError>>;

pub fn sudo_action<S>() -> SudoAction<S>
where
    S: ServerFn<Error = ApiError> + Clone + 'static,
    S::Output: 'static,
{
    let reauth = expect_context::<Reauth>();
    Action::new_local(move |input: &S| {
        let input = input.clone();
        async move {
            loop {
                match S::run_on_client(input.clone()).await {
                    Err(ApiError::ReauthRequired) if reauth.confirm().await => continue,
                    other => return other,
                }
            }
        }
    })
}

/// The prompt: the admin's password, confirmed with `auth.confirm_password`.
#[component]
pub fn ReauthDialog() -> impl IntoView {
    let reauth = expect_context::<Reauth>();
    let confirm = ServerAction::<ConfirmPassword>::new();
    // Leaving the page cancels: what asked belongs to the page left behind.
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) && reauth.open.get_untracked() {
            reauth.open.set(false);
        }
        path
    });
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        match confirm.value().get() {
            Some(Ok(())) => {
                password.set(String::new());
                reauth.settle(true);
                reauth.open.set(false);
            }
            Some(Err(e)) => error.set(Some(e)),
            None => return,
        }
        confirm.clear();
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        confirm.dispatch(ConfirmPassword {
            password: password.get_untracked(),
        });
    };
    // Closed without confirming: whatever waited is told no.
    let on_close = Callback::new(move |_| {
        password.set(String::new());
        error.set(None);
        reauth.settle(false);
    });
    view! {
        <Modal open=reauth.open title="Confirm your password".to_string() hold=confirm.pending() on_close=on_close>
            <form class="form dialog-body" on:submit=submit novalidate>
                <p>"Revealing or regenerating secrets, giving keys the right to change keys and deleting in bulk need a recently entered password."</p>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &["password"]).is_none()>
                    {move || form_message(error.get(), &["password"]).unwrap_or_default()}
                </p>
                <TextField label="Password" name="password" form="reauth" kind="password" required=true
                    autocomplete="current-password" value=password errors=error/>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" disabled=move || confirm.pending().get()
                        on:click=move |_| reauth.open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || confirm.pending().get()>"Confirm"</button>
                </div>
            </form>
        </Modal>
    }
}

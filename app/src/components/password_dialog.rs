//! "Change password" from the user menu: every other session of the admin ends.

use leptos::prelude::*;

use crate::api::{auth::ChangePassword, validate, ApiError};

use super::{
    fields::{form_message, TextField},
    modal::Modal,
    toast::use_toasts,
};

#[component]
pub fn ChangePasswordDialog(open: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let change = ServerAction::<ChangePassword>::new();
    let reset = move || {
        for field in [current, new, confirm] {
            field.set(String::new());
        }
        error.set(None);
    };
    Effect::new(move |_| {
        match change.value().get() {
            Some(Ok(())) => {
                toasts.info("Password changed. Your other sessions were signed out.");
                open.set(false);
                reset();
            }
            Some(Err(e)) => error.set(Some(e)),
            None => return,
        }
        change.clear();
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if let Err(e) = validate::password("new_password", &new.get_untracked()) {
            error.set(Some(e));
            return;
        }
        if new.get_untracked() != confirm.get_untracked() {
            error.set(Some(ApiError::validation(
                "confirm",
                "The passwords do not match.",
            )));
            return;
        }
        change.dispatch(ChangePassword {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        });
    };
    const FIELDS: [&str; 3] = ["current_password", "new_password", "confirm"];
    view! {
        <Modal open=open title="Change password".to_string() hold=change.pending()
            on_close=Callback::new(move |_| reset())>
            <form class="form dialog-body" on:submit=submit novalidate>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &FIELDS).is_none()>
                    {move || form_message(error.get(), &FIELDS).unwrap_or_default()}
                </p>
                <TextField label="Current password" name="current_password" form="pw" kind="password"
                    required=true autocomplete="current-password" value=current errors=error/>
                <TextField label="New password" name="new_password" form="pw" kind="password" required=true
                    minlength=validate::PASSWORD_MIN autocomplete="new-password" hint=format!("At least {} characters.", validate::PASSWORD_MIN) value=new errors=error/>
                <TextField label="Confirm new password" name="confirm" form="pw" kind="password" required=true
                    autocomplete="new-password" value=confirm errors=error/>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" disabled=move || change.pending().get() on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>"Change password"</button>
                </div>
            </form>
        </Modal>
    }
}

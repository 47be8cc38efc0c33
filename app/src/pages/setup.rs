//! `/setup`: the first visitor creates the first admin; afterwards it only says so (and a
//! signed-in admin goes straight to the keys).

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};

use crate::{
    api::{
        auth::{session_info, Setup},
        validate, ApiError,
    },
    components::{
        fields::{form_message, TextField},
        session::use_session,
    },
};

#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let status = LocalResource::new(session_info);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let setup = ServerAction::<Setup>::new();
    let done = RwSignal::new(false);
    Effect::new(move |_| {
        match setup.value().get() {
            Some(Ok(user)) => {
                session.signed_in(user);
                session.checked.set(true);
                session.needs_setup.set(false);
                done.set(true);
                navigate(
                    "/keys",
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
            Some(Err(e)) => error.set(Some(e)),
            None => return,
        }
        setup.clear();
    });
    {
        let navigate = use_navigate();
        Effect::new(move |_| {
            if !done.get() && session.user.get().is_some() {
                navigate(
                    "/keys",
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        });
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if password.get_untracked() != confirm.get_untracked() {
            error.set(Some(ApiError::validation(
                "confirm",
                "The passwords do not match.",
            )));
            return;
        }
        if let Err(e) = validate::password("password", &password.get_untracked()) {
            error.set(Some(e));
            return;
        }
        setup.dispatch(Setup {
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <section class="page narrow auth-page">
            <h1>"Set up LicenseShipper"</h1>
            {move || match status.get() {
                None => view! { <p class="muted" aria-busy="true">"Checking…"</p> }.into_any(),
                Some(Ok(s)) if !s.needs_setup && !done.get() => view! {
                    <div class="card">
                        <p class="notice">"Already set up."</p>
                        <p>"An admin exists. " <A href="/login">"Log in"</A> " instead."</p>
                    </div>
                }.into_any(),
                _ => view! {
                    <p class="muted">"Create the first admin account. You can add more admins later."</p>
                    <form class="card form" on:submit=submit novalidate>
                        <p class="form-error" role="alert"
                            class:hidden=move || form_message(error.get(), &["email", "name", "password", "confirm"]).is_none()>
                            {move || form_message(error.get(), &["email", "name", "password", "confirm"]).unwrap_or_default()}
                        </p>
                        <TextField label="Email" name="email" form="setup" kind="email" required=true autocomplete="username" value=email errors=error/>
                        <TextField label="Name" name="name" form="setup" required=true autocomplete="name" value=name errors=error/>
                        <TextField label="Password" name="password" form="setup" kind="password" required=true minlength=validate::PASSWORD_MIN autocomplete="new-password" hint=format!("At least {} characters.", validate::PASSWORD_MIN) value=password errors=error/>
                        <TextField label="Confirm password" name="confirm" form="setup" kind="password" required=true autocomplete="new-password" value=confirm errors=error/>
                        <button type="submit" class="btn btn-primary" disabled=move || setup.pending().get()>"Create admin"</button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

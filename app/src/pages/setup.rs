//! `/setup`: the first visitor creates the first admin; afterwards it only says so.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};

use crate::{
    api::{
        auth::{session_info, setup},
        validate, ApiError,
    },
    components::{
        fields::{form_message, message_for, FieldError},
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
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);

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
        if let Err(e) = validate::password(&password.get_untracked()) {
            error.set(Some(e));
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match setup(
                email.get_untracked(),
                name.get_untracked(),
                password.get_untracked(),
            )
            .await
            {
                Ok(user) => {
                    session.user.set(Some(user));
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
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let field = move |f: &'static str| Signal::derive(move || message_for(error.get(), f));
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
                    <form class="card form" on:submit=submit.clone() novalidate>
                        <p class="form-error" role="alert"
                            class:hidden=move || form_message(error.get(), &["email", "name", "password", "confirm"]).is_none()>
                            {move || form_message(error.get(), &["email", "name", "password", "confirm"]).unwrap_or_default()}
                        </p>
                        <div class="field">
                            <label class="field-label">
                                <span>"Email"</span>
                                <input type="email" autocomplete="username" required aria-describedby="setup-email-error"
                                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                            </label>
                            <FieldError message=field("email") id="setup-email-error".into()/>
                        </div>
                        <div class="field">
                            <label class="field-label">
                                <span>"Name"</span>
                                <input type="text" autocomplete="name" required aria-describedby="setup-name-error"
                                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                            </label>
                            <FieldError message=field("name") id="setup-name-error".into()/>
                        </div>
                        <div class="field">
                            <label class="field-label">
                                <span>"Password"</span>
                                <input type="password" autocomplete="new-password" required minlength="12" aria-describedby="setup-password-error"
                                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                            </label>
                            <small class="hint">"At least 12 characters."</small>
                            <FieldError message=field("password") id="setup-password-error".into()/>
                        </div>
                        <div class="field">
                            <label class="field-label">
                                <span>"Confirm password"</span>
                                <input type="password" autocomplete="new-password" required aria-describedby="setup-confirm-error"
                                    prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev))/>
                            </label>
                            <FieldError message=field("confirm") id="setup-confirm-error".into()/>
                        </div>
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Create admin"</button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

//! `/login`: email and password; returns to `next` afterwards.

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use crate::{api::auth::Login, components::session::use_session, nav::safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = ServerAction::<Login>::new();
    let error = Memo::new(move |_| match login.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let next = move || safe_next(query.get_untracked().get("next").as_deref());

    // First run: nobody can log in yet, so go to setup.
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            if session.checked.get() && session.needs_setup.get() {
                navigate(
                    "/setup",
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        });
    }
    // Already signed in: straight on.
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            if session.user.get().is_some() {
                navigate(
                    &next(),
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        });
    }

    // Signed in: the session knows, and the effect above goes on to `next`.
    Effect::new(move |_| match login.value().get() {
        Some(Ok(user)) => {
            session.signed_in(user);
            session.checked.set(true);
        }
        Some(Err(_)) => password.set(String::new()),
        None => {}
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if login.pending().get_untracked() {
            return;
        }
        login.dispatch(Login {
            email: email.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <section class="page narrow auth-page">
            <h1>"Log in"</h1>
            <p class="muted">"Sign in to manage LicenseShipper API keys."</p>
            <form class="card form" on:submit=submit novalidate>
                <p class="form-error" role="alert" class:hidden=move || error.get().is_none()>
                    {move || error.get().unwrap_or_default()}
                </p>
                <label class="field">
                    <span>"Email"</span>
                    <input type="email" name="email" autocomplete="username" required
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="btn btn-primary" disabled=move || login.pending().get()>"Log in"</button>
            </form>
        </section>
    }
}

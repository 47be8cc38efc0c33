//! `/login`: email and password; returns to `next` afterwards.

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use crate::{api::auth::login, components::session::use_session, nav::safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
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
            if session.user.get().is_some() && !busy.get_untracked() {
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

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match login(email.get_untracked(), password.get_untracked()).await {
                Ok(user) => {
                    session.signed_in(user);
                    session.checked.set(true);
                    navigate(
                        &next(),
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) => {
                    error.set(Some(e.to_string()));
                    password.set(String::new());
                }
            }
            busy.set(false);
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
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Log in"</button>
            </form>
        </section>
    }
}

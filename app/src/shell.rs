//! The app shell: top bar, navigation, user menu and routes.

use leptos::prelude::*;
use leptos_router::{
    components::{Redirect, Route, Router, Routes, A},
    hooks::use_navigate,
    path, NavigateOptions,
};

use crate::{
    api::auth::Logout,
    components::{
        focus::focus_heading,
        list_url::LastListUrl,
        password_dialog::ChangePasswordDialog,
        reauth::{provide_reauth, ReauthDialog},
        session::{provide_session, use_error_reporter, use_session, RequireAdmin},
        time::provide_now,
        toast::{provide_toasts, ToastHost},
    },
    pages::{
        admins::AdminsPage, audit::AuditPage, key_details::KeyDetailsPage, keys_list::KeysPage,
        login::LoginPage, not_found::NotFound, settings::SettingsPage, setup::SetupPage,
        webhooks::WebhooksPage,
    },
};

#[component]
pub fn App() -> impl IntoView {
    provide_toasts();
    provide_session();
    provide_now();
    provide_reauth();
    provide_context(LastListUrl::load());
    view! {
        <Router>
            <TopBar/>
            <FocusOnNavigate/>
            <main id="main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/keys"/> }/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/setup") view=SetupPage/>
                    <Route path=path!("/keys") view=|| view! { <RequireAdmin><KeysPage/></RequireAdmin> }/>
                    <Route path=path!("/keys/:id") view=|| view! { <RequireAdmin><KeyDetailsPage/></RequireAdmin> }/>
                    <Route path=path!("/admins") view=|| view! { <RequireAdmin><AdminsPage/></RequireAdmin> }/>
                    <Route path=path!("/audit") view=|| view! { <RequireAdmin><AuditPage/></RequireAdmin> }/>
                    <Route path=path!("/settings") view=|| view! { <RequireAdmin><SettingsPage/></RequireAdmin> }/>
                    <Route path=path!("/webhooks") view=|| view! { <RequireAdmin><WebhooksPage/></RequireAdmin> }/>
                </Routes>
            </main>
            <ReauthDialog/>
            <ToastHost/>
        </Router>
    }
}

/// After each route change (not the first load), focus moves to the new page's heading.
#[component]
fn FocusOnNavigate() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            focus_heading();
        }
        path
    });
}

#[component]
fn TopBar() -> impl IntoView {
    let session = use_session();
    let report = use_error_reporter();
    let navigate = use_navigate();
    let password_open = RwSignal::new(false);
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        match logout.value().get() {
            Some(Ok(()) | Err(crate::api::ApiError::Unauthenticated)) => {
                session.logged_out();
                navigate("/login", NavigateOptions::default());
            }
            Some(Err(e)) => report(e, None),
            None => return,
        }
        logout.clear();
    });
    let sign_out = move |_| {
        logout.dispatch(Logout {});
    };
    view! {
        <header class="topbar">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <A href="/keys" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"LS"</span>
                "LicenseShipper"
            </A>
            <Show when=move || session.user.get().is_some()>
                <nav class="nav" aria-label="Main">
                    <A href="/keys">"API Keys"</A>
                    <A href="/admins">"Admins"</A>
                    <A href="/audit">"Audit log"</A>
                    <Show when=move || session.can_manage()>
                        <A href="/webhooks">"Webhooks"</A>
                    </Show>
                    <A href="/settings">"Settings"</A>
                </nav>
                <div class="user-menu">
                    <span class="user-name">{move || session.user.get().map(|u| u.name).unwrap_or_default()}</span>
                    <button class="btn btn-ghost" on:click=move |_| password_open.set(true)>"Change password"</button>
                    <button class="btn btn-ghost" on:click=sign_out>"Log out"</button>
                </div>
                <ChangePasswordDialog open=password_open/>
            </Show>
        </header>
    }
}

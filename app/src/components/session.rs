//! Who is signed in, and the guard that sends everyone else to the login page.

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_location, use_navigate},
    NavigateOptions,
};

use crate::api::{auth::session_info, types::SignedIn, ApiError};

use super::toast::use_toasts;

#[derive(Clone, Copy)]
pub struct Session {
    pub user: RwSignal<Option<SignedIn>>,
    /// False until the first `session_info` call has answered.
    pub checked: RwSignal<bool>,
    /// No admin exists yet: first-run setup is open.
    pub needs_setup: RwSignal<bool>,
    /// The admin chose Log out (rather than the session ending): the login page then has no
    /// `next`, and signing in again lands on the keys.
    left: RwSignal<bool>,
}

impl Session {
    /// The session ended under the admin (expired, revoked): they come back where they were.
    pub fn signed_out(&self) {
        self.user.set(None);
        self.checked.set(true);
    }

    /// The admin logged out.
    pub fn logged_out(&self) {
        self.left.set(true);
        self.signed_out();
    }

    /// Whether the signed-in account may change anything (reactive). Viewers see the pages
    /// without the controls the server would refuse them.
    pub fn can_manage(&self) -> bool {
        self.user
            .with(|u| u.as_ref().is_some_and(|u| u.role.can_manage()))
    }

    pub fn signed_in(&self, user: SignedIn) {
        self.left.set(false);
        self.user.set(Some(user));
    }
}

pub fn provide_session() -> Session {
    let session = Session {
        user: RwSignal::new(None),
        checked: RwSignal::new(false),
        needs_setup: RwSignal::new(false),
        left: RwSignal::new(false),
    };
    provide_context(session);
    // Who is signed in, asked once when the app starts.
    let info = LocalResource::new(session_info);
    Effect::new(move |_| {
        if let Some(answer) = info.get() {
            if let Ok(info) = answer {
                session.needs_setup.set(info.needs_setup);
                session.user.set(info.user);
            }
            session.checked.set(true);
        }
    });
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Reports a failed call: an ended session goes to the login page, anything else to a toast.
pub fn use_error_reporter() -> impl Fn(ApiError, Option<Callback<()>>) + Copy {
    let session = use_session();
    let toasts = use_toasts();
    move |error: ApiError, retry: Option<Callback<()>>| {
        if error == ApiError::Unauthenticated {
            session.signed_out();
        } else if error == ApiError::ReauthRequired {
            // The password prompt was shown and cancelled: nothing happened, nothing to say.
        } else {
            toasts.error(&error, retry);
        }
    }
}

/// Shows its children to a signed-in admin; sends anyone else to `/login?next=<here>`.
#[component]
pub fn RequireAdmin(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.checked.get() && session.user.get().is_none() {
            let search = location.search.get_untracked();
            let here = if search.is_empty() {
                location.pathname.get_untracked()
            } else {
                format!(
                    "{}?{}",
                    location.pathname.get_untracked(),
                    search.trim_start_matches('?')
                )
            };
            let next = js_sys::encode_uri_component(&here);
            let target = if session.needs_setup.get_untracked() {
                "/setup".to_owned()
            } else if session.left.get_untracked() {
                "/login".to_owned()
            } else {
                format!("/login?next={next}")
            };
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <Show
            when=move || session.user.get().is_some()
            fallback=|| view! { <div class="page-loading" aria-busy="true">"Loading…"</div> }
        >
            {children()}
        </Show>
    }
}

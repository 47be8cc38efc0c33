//! Sudo mode: an admin session reveals secrets, creates keys that can change keys and deletes
//! in bulk only within minutes of entering its password; API keys are not asked.

use http::StatusCode;
use serde_json::json;

use app::server::caller::DEFAULT_REAUTH_WINDOW;

use crate::{
    common::{Caller, Session, TestApp, PASSWORD},
    on_both,
};

const WINDOW_SECS: i64 = DEFAULT_REAUTH_WINDOW.as_secs() as i64;

on_both!(
    secrets_need_a_recent_password_and_a_confirmation_renews_it,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = app.setup_admin().await;
        let admin = Caller::Admin(ann.clone());
        let (id, secret) = app.create_key(&admin, json!({"name": "Woo"})).await;

        // Just signed in: the password is fresh.
        let r = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["secret"], secret);

        // Ten minutes on (the window's edge still counts), then a second more.
        app.clock.advance_secs(WINDOW_SECS);
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &admin)
                .await
                .status,
            StatusCode::OK
        );
        app.clock.advance_secs(1);
        let r = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "reauth_required");
        assert!(!r.text.contains(&secret));

        // A wrong password is a field error and changes nothing.
        let r = app
            .call(
                "auth.confirm_password",
                json!({"password": "not it at all"}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "password");
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &admin)
                .await
                .code(),
            "reauth_required"
        );

        // The right one opens the window again, for this session only.
        let r = app
            .call(
                "auth.confirm_password",
                json!({"password": PASSWORD}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &admin)
                .await
                .status,
            StatusCode::OK
        );
    }
);

on_both!(
    another_session_of_the_same_admin_confirms_for_itself,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let first = Caller::Admin(app.setup_admin().await);
        let (id, _) = app.create_key(&first, json!({"name": "Woo"})).await;
        app.clock.advance_secs(WINDOW_SECS + 1);
        let second = Caller::Admin(
            Session::from_reply(&app.login("ann@example.com", PASSWORD).await).unwrap(),
        );
        // The new session has just entered the password; the old one has not.
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &second)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &first)
                .await
                .code(),
            "reauth_required"
        );
    }
);

on_both!(
    powerful_keys_and_bulk_deletes_need_it_too_but_api_keys_are_not_asked,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, manager) = app
            .create_key(
                &admin,
                json!({"name": "Manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        let (a, _) = app.create_key(&admin, json!({"name": "A"})).await;
        app.clock.advance_secs(WINDOW_SECS + 1);

        // A key that can change keys: asked. One that cannot: not asked.
        let r = app
            .call(
                "keys.create",
                json!({"name": "Writer", "scopes": ["keys:write"]}),
                &admin,
            )
            .await;
        assert_eq!(r.code(), "reauth_required", "{}", r.text);
        let r = app
            .call(
                "keys.create",
                json!({"name": "Reader", "scopes": ["keys:read"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // Bulk delete: asked, and nothing is deleted.
        let r = app
            .call("keys.bulk_delete", json!({"ids": [a]}), &admin)
            .await;
        assert_eq!(r.code(), "reauth_required");
        assert_eq!(
            app.call("keys.get", json!({"id": a}), &admin).await.status,
            StatusCode::OK
        );

        // An API key proves itself with every request: it is never asked.
        let key = Caller::Key(manager);
        let r = app
            .call(
                "keys.create",
                json!({"name": "Minted", "scopes": ["keys:write"]}),
                &key,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .call("keys.bulk_delete", json!({"ids": [a]}), &key)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // And it cannot confirm a password, having none.
        let r = app
            .call("auth.confirm_password", json!({"password": PASSWORD}), &key)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

on_both!(
    guessing_the_password_in_sudo_mode_is_throttled_like_a_login,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(
                app.call(
                    "auth.confirm_password",
                    json!({"password": "guess guess guess"}),
                    &admin,
                )
                .await
                .status,
            );
        }
        assert!(
            statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
            "no throttle after 8 wrong passwords: {statuses:?}"
        );
        // Throttled, even the right password waits.
        let r = app
            .call(
                "auth.confirm_password",
                json!({"password": PASSWORD}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
);

on_both!(
    sessions_from_before_sudo_mode_are_asked_first,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, _) = app.create_key(&admin, json!({"name": "Woo"})).await;
        // A session row as the previous release left it.
        app.exec("UPDATE sessions SET reauthenticated_at = NULL")
            .await;
        assert_eq!(
            app.call("keys.reveal", json!({"id": id}), &admin)
                .await
                .code(),
            "reauth_required"
        );
    }
);

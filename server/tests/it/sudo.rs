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

on_both!(
    rolling_and_granting_keys_write_need_it_too,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, old) = app
            .create_key(&admin, json!({"name": "Reader", "scopes": ["keys:read"]}))
            .await;
        app.clock.advance_secs(WINDOW_SECS + 1);
        // A roll answers a working secret: asked, and the old secret stays the only one.
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 0}), &admin)
            .await;
        assert_eq!(r.code(), "reauth_required", "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(old.clone()))
                .await
                .status,
            StatusCode::OK
        );
        // Upgrading a key to keys:write (then rolling it) is no way around creating one.
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "scopes": ["keys:read", "keys:write"]}),
                &admin,
            )
            .await;
        assert_eq!(r.code(), "reauth_required", "{}", r.text);
        let r = app.call("keys.get", json!({"id": id}), &admin).await;
        assert_eq!(r.json["scopes"], json!(["keys:read"]));
        // Other edits are not asked.
        let r = app
            .call("keys.update", json!({"id": id, "name": "Reader 2"}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

on_both!(
    admins_are_added_and_disabled_only_in_sudo_mode,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        app.clock.advance_secs(WINDOW_SECS + 1);
        // A stolen cookie cannot make itself a fresh admin (whose own login would be recent).
        let r = app
            .call(
                "admins.create",
                json!({"email": "eve@example.com", "name": "Eve", "password": "eve's own password"}),
                &admin,
            )
            .await;
        assert_eq!(r.code(), "reauth_required", "{}", r.text);
        assert_eq!(
            app.login("eve@example.com", "eve's own password")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let r = app
            .call(
                "auth.confirm_password",
                json!({"password": PASSWORD}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(
                "admins.create",
                json!({"email": "bob@example.com", "name": "Bob", "password": "bob's own password"}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let bob = r.json["id"].as_str().unwrap().to_owned();
        app.clock.advance_secs(WINDOW_SECS + 1);
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": bob, "disabled": true}),
                &admin,
            )
            .await;
        assert_eq!(r.code(), "reauth_required");
        // The confirmation is in the audit log.
        let r = app
            .call(
                "audit.list",
                json!({"action": "auth.password_confirmed"}),
                &admin,
            )
            .await;
        assert_eq!(r.json.as_array().map(Vec::len), Some(1), "{}", r.text);
    }
);

on_both!(
    guessing_the_current_password_of_a_password_change_is_throttled,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(
                app.call(
                    "auth.change_password",
                    json!({"current_password": "guess guess guess", "new_password": "a new long passphrase"}),
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
    }
);

on_both!(
    renaming_a_key_that_already_holds_keys_write_is_not_asked,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, _) = app
            .create_key(
                &admin,
                json!({"name": "Manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        app.clock.advance_secs(WINDOW_SECS + 1);
        // The edit form sends the scopes it shows: unchanged keys:write is no grant.
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "name": "Manager 2", "scopes": ["keys:read", "keys:write"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

use http::{header, StatusCode};
use serde_json::json;

use crate::{
    common::{Caller, Session, TestApp, PASSWORD},
    on_both,
};

on_both!(
    every_server_function_refuses_anonymous_callers,
    |backend| async move {
        let app = TestApp::new(backend).await;
        // The registry, not a hand-kept list: a function added without a guard fails here.
        let paths: Vec<&str> = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
        assert!(paths.len() >= 20, "registry looks incomplete: {paths:?}");
        for path in paths {
            let name = path.strip_prefix("/api/v1/").expect("stable /api/v1/ path");
            let reply = app.call(name, json!({}), &Caller::Anonymous).await;
            let public = app::api::registry::find(path)
                .is_some_and(|e| e.need == app::api::registry::Need::Public);
            if public {
                assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{path} is public");
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{path}: {}",
                    reply.text
                );
                assert_eq!(reply.code(), "unauthenticated", "{path}");
            }
        }
    }
);

on_both!(
    cross_origin_cookie_calls_are_refused_and_change_nothing,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = app.setup_admin().await;
        let reply = app
            .call(
                "keys.create",
                json!({"name": "evil"}),
                &Caller::CrossOrigin(admin.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "cross_origin");
        let list = app
            .call("keys.list", json!({}), &Caller::Admin(admin))
            .await;
        assert_eq!(list.json["total"], 0);
    }
);

on_both!(setup_closes_after_the_first_admin, |backend| async move {
    let app = TestApp::new(backend).await;
    let info = app
        .call("auth.session", json!({}), &Caller::Anonymous)
        .await;
    assert_eq!(info.json, json!({"user": null, "needs_setup": true}));
    let admin = app.setup_admin().await;
    let again = app
        .call(
            "auth.setup",
            json!({"email": "eve@example.com", "name": "Eve", "password": PASSWORD}),
            &Caller::Anonymous,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_set_up");
    let info = app
        .call("auth.session", json!({}), &Caller::Anonymous)
        .await;
    assert_eq!(info.json["needs_setup"], false);
    let mine = app
        .call("auth.session", json!({}), &Caller::Admin(admin))
        .await;
    assert_eq!(mine.json["user"]["name"], "Ann Admin");
    assert!(app.login("eve@example.com", PASSWORD).await.status == StatusCode::UNAUTHORIZED);
});

on_both!(setup_validates_its_input, |backend| async move {
    let app = TestApp::new(backend).await;
    for (body, field) in [
        (
            json!({"email": "nope", "name": "A", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "name": " ", "password": PASSWORD}),
            "name",
        ),
        (
            json!({"email": "a@b.co", "name": "A", "password": "short"}),
            "password",
        ),
    ] {
        let r = app.call("auth.setup", body, &Caller::Anonymous).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], field);
    }
    let info = app
        .call("auth.session", json!({}), &Caller::Anonymous)
        .await;
    assert_eq!(info.json["needs_setup"], true, "nothing was created");
});

on_both!(login_sets_a_strict_http_only_cookie, |backend| async move {
    let app = TestApp::new(backend).await;
    app.setup_admin().await;
    let r = app.login("ANN@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("ls_session="));
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP by default");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let session = Session::from_reply(&r).unwrap();
    assert_eq!(session.token.len(), 43, "256 bits, base64url");
});

on_both!(
    unknown_email_and_wrong_password_look_the_same,
    |backend| async move {
        let app = TestApp::new(backend).await;
        app.setup_admin().await;
        let wrong = app.login("ann@example.com", "wrong password!!").await;
        let unknown = app.login("nobody@example.com", PASSWORD).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.json, unknown.json);
        assert_eq!(wrong.code(), "invalid_credentials");
    }
);

on_both!(
    failed_logins_are_throttled_per_account_and_address_and_per_address,
    |backend| async move {
        let app = TestApp::new(backend).await;
        app.setup_admin().await;
        for _ in 0..5 {
            assert_eq!(
                app.login("ann@example.com", "nope nope nope").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        // Now even the right password waits.
        let blocked = app.login("ann@example.com", PASSWORD).await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = blocked.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((890..=900).contains(&retry), "retry after {retry}");
        app.clock.advance_secs(14 * 60);
        assert_eq!(
            app.login("ann@example.com", PASSWORD).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        app.clock.advance_secs(61);
        assert_eq!(
            app.login("ann@example.com", PASSWORD).await.status,
            StatusCode::OK
        );

        // Per address: twenty failures for any accounts from one address block that address.
        for i in 0..app::server::accounts::throttle::MAX_PER_ADDRESS {
            let r = app
                .call(
                    "auth.login",
                    json!({"email": format!("x{i}@example.com"), "password": "whatever123456"}),
                    &Caller::FromIp("198.51.100.7".into()),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let r = app
            .call(
                "auth.login",
                json!({"email": "ann@example.com", "password": PASSWORD}),
                &Caller::FromIp("198.51.100.7".into()),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        // Another address is not affected.
        let r = app
            .call(
                "auth.login",
                json!({"email": "ann@example.com", "password": PASSWORD}),
                &Caller::FromIp("198.51.100.8".into()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

on_both!(
    sessions_expire_when_idle_and_absolutely,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = app.setup_admin().await;
        async fn me(app: &TestApp, s: &Session) -> crate::common::Reply {
            app.call("keys.list", json!({}), &Caller::Admin(s.clone()))
                .await
        }
        assert_eq!(me(&app, &admin).await.status, StatusCode::OK);
        // Idle: 12 hours without a request ends the session.
        app.clock.advance_secs(12 * 3600 + 1);
        assert_eq!(me(&app, &admin).await.status, StatusCode::UNAUTHORIZED);

        // Absolute: used every 11 hours, it still ends after 7 days.
        let s = Session::from_reply(&app.login("ann@example.com", PASSWORD).await).unwrap();
        let mut elapsed = 0;
        while elapsed + 11 * 3600 <= 7 * 24 * 3600 {
            app.clock.advance_secs(11 * 3600);
            elapsed += 11 * 3600;
            assert_eq!(
                me(&app, &s).await.status,
                StatusCode::OK,
                "after {elapsed}s"
            );
        }
        app.clock.advance_secs(7 * 24 * 3600 - elapsed + 1);
        assert_eq!(me(&app, &s).await.status, StatusCode::UNAUTHORIZED);
    }
);

on_both!(logout_ends_the_session, |backend| async move {
    let app = TestApp::new(backend).await;
    let admin = app.setup_admin().await;
    let out = app
        .call("auth.logout", json!({}), &Caller::Admin(admin.clone()))
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = app
        .call("keys.list", json!({}), &Caller::Admin(admin))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
});

on_both!(
    disabling_an_admin_ends_their_sessions,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = app.setup_admin().await;
        let created = app
            .call(
                "admins.create",
                json!({"email": "bob@example.com", "name": "Bob", "password": PASSWORD}),
                &Caller::Admin(ann.clone()),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.text);
        let bob_id = created.json["id"].as_str().unwrap().to_owned();
        let bob = Session::from_reply(&app.login("bob@example.com", PASSWORD).await).unwrap();
        assert_eq!(
            app.call("keys.list", json!({}), &Caller::Admin(bob.clone()))
                .await
                .status,
            StatusCode::OK
        );

        let off = app
            .call(
                "admins.set_disabled",
                json!({"id": bob_id, "disabled": true}),
                &Caller::Admin(ann.clone()),
            )
            .await;
        assert_eq!(off.status, StatusCode::OK);
        assert_eq!(off.json["disabled"], true);
        assert_eq!(
            app.call("keys.list", json!({}), &Caller::Admin(bob))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.login("bob@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );

        let on = app
            .call(
                "admins.set_disabled",
                json!({"id": bob_id, "disabled": false}),
                &Caller::Admin(ann),
            )
            .await;
        assert_eq!(on.json["disabled"], false);
        assert_eq!(
            app.login("bob@example.com", PASSWORD).await.status,
            StatusCode::OK
        );
    }
);

on_both!(
    nobody_disables_themselves_or_the_last_active_admin,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = app.setup_admin().await;
        let list = app
            .call("admins.list", json!({}), &Caller::Admin(ann.clone()))
            .await;
        let ann_id = list.json[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(list.json[0]["is_self"], true);
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": ann_id, "disabled": true}),
                &Caller::Admin(ann.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let created = app
            .call(
                "admins.create",
                json!({"email": "bob@example.com", "name": "Bob", "password": PASSWORD}),
                &Caller::Admin(ann.clone()),
            )
            .await;
        let bob_id = created.json["id"].as_str().unwrap().to_owned();
        let bob = Session::from_reply(&app.login("bob@example.com", PASSWORD).await).unwrap();
        // Bob disables Ann: fine, Bob remains. Then Bob cannot disable himself, the last one.
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": ann_id, "disabled": true}),
                &Caller::Admin(bob.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": bob_id, "disabled": true}),
                &Caller::Admin(bob),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

on_both!(
    duplicate_admin_emails_are_refused_case_insensitively,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = app.setup_admin().await;
        let r = app
            .call(
                "admins.create",
                json!({"email": "ANN@Example.com", "name": "Ann 2", "password": PASSWORD}),
                &Caller::Admin(ann),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "email");
    }
);

on_both!(
    changing_the_password_ends_other_sessions,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let first = app.setup_admin().await;
        let second = Session::from_reply(&app.login("ann@example.com", PASSWORD).await).unwrap();
        let r = app
            .call(
                "auth.change_password",
                json!({"current_password": PASSWORD, "new_password": "a much better passphrase"}),
                &Caller::Admin(second),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let fresh = Session::from_reply(&r).unwrap();
        assert_eq!(
            app.call("keys.list", json!({}), &Caller::Admin(first))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call("keys.list", json!({}), &Caller::Admin(fresh))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.login("ann@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.login("ann@example.com", "a much better passphrase")
                .await
                .status,
            StatusCode::OK
        );
    }
);

on_both!(
    a_too_long_new_password_is_refused_for_what_it_is,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = app.setup_admin().await;
        let too_long = "x".repeat(app::api::validate::PASSWORD_MAX + 1);
        let r = app
            .call(
                "auth.change_password",
                json!({"current_password": PASSWORD, "new_password": too_long}),
                &Caller::Admin(ann),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "new_password");
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(message.contains("at most"), "{message}");
        // The old password still works: nothing changed.
        assert_eq!(
            app.login("ann@example.com", PASSWORD).await.status,
            StatusCode::OK
        );
    }
);

on_both!(api_keys_cannot_manage_admins, |backend| async move {
    let app = TestApp::new(backend).await;
    let ann = app.setup_admin().await;
    let (_, key) = app
        .create_key(
            &Caller::Admin(ann),
            json!({"name": "all", "scopes": ["keys:read", "keys:write", "keys:verify"]}),
        )
        .await;
    for path in ["admins.list", "auth.logout", "keys.reveal"] {
        let r = app
            .call(path, json!({"id": "x"}), &Caller::Key(key.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
});

//! Throttles that hold under parallel attack and that attackers cannot turn against owners.

use http::StatusCode;
use serde_json::json;

use crate::{
    common::{Caller, TestApp, PASSWORD},
    on_both,
};

async fn login_from(app: &TestApp, ip: &str, password: &str) -> StatusCode {
    app.call(
        "auth.login",
        json!({"email": "ann@example.com", "password": password}),
        &Caller::FromIp(ip.into()),
    )
    .await
    .status
}

on_both!(
    parallel_wrong_guesses_cannot_slip_past_the_login_limit,
    |backend| async move {
        let app = std::sync::Arc::new(TestApp::new(backend).await);
        app.setup_admin().await;
        let guesses = (0..24)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move {
                    login_from(&app, "198.51.100.20", &format!("wrong guess {i}")).await
                })
            })
            // All spawned before any is awaited, so they run side by side.
            .collect::<Vec<_>>();
        let mut tried = 0;
        let mut refused = 0;
        for guess in guesses {
            match guess.await.unwrap() {
                StatusCode::UNAUTHORIZED => tried += 1,
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(
            (tried, refused),
            (5, 19),
            "exactly the limit of guesses is checked"
        );
    }
);

on_both!(
    failures_from_one_address_do_not_lock_the_owner_out_elsewhere,
    |backend| async move {
        let app = TestApp::new(backend).await;
        app.setup_admin().await;
        for _ in 0..8 {
            let status = login_from(&app, "127.0.0.11", "not the password").await;
            assert!(
                matches!(
                    status,
                    StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
                ),
                "{status}"
            );
        }
        // The guesser's address is held back, even with the right password...
        assert_eq!(
            login_from(&app, "127.0.0.11", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // ...but the owner, from an address with no failures, signs in.
        assert_eq!(
            login_from(&app, "127.0.0.12", PASSWORD).await,
            StatusCode::OK
        );
    }
);

on_both!(
    logins_logouts_and_ended_sessions_are_in_the_audit_log,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let r = app
            .call(
                "admins.create",
                json!({"email": "bob@example.com", "name": "Bob", "password": PASSWORD}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            login_from(&app, "198.51.100.30", "not the password").await,
            StatusCode::UNAUTHORIZED
        );
        let bob = app
            .call(
                "auth.login",
                json!({"email": "bob@example.com", "password": PASSWORD}),
                &Caller::FromIp("198.51.100.31".into()),
            )
            .await;
        assert_eq!(bob.status, StatusCode::OK);
        let bob_session = crate::common::Session::from_reply(&bob).unwrap();
        let bob_id = bob.json["id"].as_str().unwrap().to_owned();
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": bob_id, "disabled": true}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(
                "auth.change_password",
                json!({"current_password": PASSWORD, "new_password": "another long password"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let ann = Caller::Admin(crate::common::Session::from_reply(&r).unwrap());
        let r = app.call("auth.logout", json!({}), &ann).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            app.call("keys.list", json!({}), &Caller::Admin(bob_session))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        let s = crate::common::Session::from_reply(
            &app.login("ann@example.com", "another long password").await,
        )
        .unwrap();
        let log = app
            .call(
                "audit.list",
                json!({"action": "auth."}),
                &Caller::Admin(s.clone()),
            )
            .await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.text);
        let events: Vec<(String, Option<String>, serde_json::Value)> = log
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["ip"].as_str().map(str::to_owned),
                    e["detail"].clone(),
                )
            })
            .collect();
        let has = |action: &str, ip: Option<&str>, check: &dyn Fn(&serde_json::Value) -> bool| {
            events
                .iter()
                .any(|(a, i, d)| a == action && (ip.is_none() || i.as_deref() == ip) && check(d))
        };
        assert!(
            has("auth.login_failed", Some("198.51.100.30"), &|d| d["email"]
                == "ann@example.com"),
            "{events:?}"
        );
        assert!(has("auth.login", Some("198.51.100.31"), &|d| d["user_id"]
            == bob_id.as_str()));
        assert!(has("auth.sessions_ended", None, &|d| d["reason"]
            == "admin_disabled"
            && d["user_id"] == bob_id.as_str()
            && d["sessions"] == 1));
        assert!(has("auth.sessions_ended", None, &|d| d["reason"]
            == "password_changed"));
        assert!(has("auth.logout", None, &|_| true));
        // Newest first, and paged by the last event seen.
        let first = &log.json[0];
        assert_eq!(first["action"], "auth.login");
        let page = app
            .call(
                "audit.list",
                json!({"limit": 1, "before": first["id"]}),
                &Caller::Admin(s.clone()),
            )
            .await;
        assert_eq!(page.json.as_array().unwrap().len(), 1);
        assert_ne!(page.json[0]["id"], first["id"]);

        // Keys never read the audit log.
        let (_, key) = app
            .create_key(
                &Caller::Admin(s),
                json!({"name": "k", "scopes": ["keys:read", "keys:write", "keys:verify"]}),
            )
            .await;
        let r = app.call("audit.list", json!({}), &Caller::Key(key)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

on_both!(
    bad_keys_from_an_address_never_block_a_good_key_from_it,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, good) = app
            .create_key(&admin, json!({"name": "shop behind shared hosting"}))
            .await;
        let shared = "203.0.113.77";
        let mut limited = 0;
        for i in 0..30 {
            let bad = format!("lsk_{i:0>32}abcdef");
            let r = app
                .call("whoami", json!({}), &Caller::KeyFromIp(bad, shared.into()))
                .await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                limited += 1;
            } else {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            }
        }
        assert_eq!(limited, 10, "failures beyond 20 a minute are throttled");
        let r = app
            .call("whoami", json!({}), &Caller::KeyFromIp(good, shared.into()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

on_both!(
    hosts_of_one_ipv6_64_count_as_one_address,
    |backend| async move {
        let app = TestApp::new(backend).await;
        app.setup_admin().await;
        for host in 1..=5 {
            let ip = format!("2001:db8:7:7::{host:x}");
            assert_eq!(
                login_from(&app, &ip, "not the password").await,
                StatusCode::UNAUTHORIZED
            );
        }
        // A sixth host of the same /64 is the same guesser.
        assert_eq!(
            login_from(&app, "2001:db8:7:7:ffff::1", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            login_from(&app, "2001:db8:7:8::1", PASSWORD).await,
            StatusCode::OK
        );
    }
);

on_both!(
    a_login_that_gets_no_hashing_slot_is_told_to_retry_and_not_counted,
    |backend| async move {
        let mut options = crate::common::Options::default();
        options.settings.hashing_slots = 1;
        options.settings.hashing_wait = std::time::Duration::from_millis(20);
        let app = TestApp::with(backend, options).await;
        app.setup_admin().await;
        // Every slot busy (as under a flood of logins elsewhere).
        let busy = app.state.accounts.hashing().enter().await.unwrap();
        for _ in 0..6 {
            let r = app
                .call(
                    "auth.login",
                    json!({"email": "ann@example.com", "password": "wrong guess"}),
                    &Caller::FromIp("198.51.100.40".into()),
                )
                .await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(r.headers[http::header::RETRY_AFTER], "1");
        }
        drop(busy);
        // Attempts that were never made are not failures: the owner is not held back.
        assert_eq!(
            login_from(&app, "198.51.100.40", PASSWORD).await,
            StatusCode::OK
        );
    }
);

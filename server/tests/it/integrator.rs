//! The integrator surface: key-authenticated endpoints, scopes, errors, usage, revocation.

use std::{sync::atomic::Ordering, time::Duration};

use app::server::state::Settings;
use axum::body::Body;
use http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::{
    common::{Backend, Caller, Options, Reply, TestApp},
    on_both,
};

#[derive(Clone, Copy, PartialEq)]
enum Need {
    KeyOnly,
    AdminOnly,
    Scope(&'static str),
}

/// An endpoint, what it needs (from its declaration), and a valid body given a fresh target key id.
type Endpoint = (&'static str, Need, fn(&str) -> Value);

/// What each key function must need (written here independently of its declaration, so a
/// wrong declaration fails), and a valid body given a fresh target key id.
/// A request body given a fresh target key id.
type MakeBody = fn(&str) -> Value;

fn expected(name: &str) -> Option<(Need, MakeBody)> {
    let (read, write) = (Need::Scope("keys:read"), Need::Scope("keys:write"));
    Some(match name {
        "whoami" => (Need::KeyOnly, |_| json!({})),
        "keys.verify" => (
            Need::Scope("keys:verify"),
            |_| json!({"key": "lsk_not_a_real_key"}),
        ),
        "keys.list" => (read, |_| json!({"page": 1})),
        "keys.export" => (read, |_| json!({"filter": "all"})),
        "keys.get" | "keys.usage" | "keys.history" => (read, |id| json!({"id": id})),
        "keys.reveal" | "keys.report_leaked" => (Need::AdminOnly, |id| json!({"id": id})),
        "keys.delete" | "keys.enable" | "keys.disable" => (write, |id| json!({"id": id})),
        "keys.create" => (write, |_| json!({"name": "made"})),
        "keys.update" => (write, |id| json!({"id": id, "name": "renamed"})),
        "keys.bulk_delete" => (write, |id| json!({"ids": [id]})),
        "keys.roll" => (write, |id| json!({"id": id, "grace_seconds": 60})),
        _ => return None,
    })
}

/// Every key function, with the need its declaration gives it. A new one without a body above
/// fails here, so none is left out of the matrix.
fn endpoints() -> Vec<Endpoint> {
    use app::api::registry::{self, Need as Declared};
    registry::endpoints()
        .into_iter()
        .filter(|e| e.name().starts_with("keys.") || e.need == Declared::Key)
        .map(|e| {
            let need = match e.need {
                Declared::Key => Need::KeyOnly,
                Declared::Admin => Need::AdminOnly,
                Declared::Scope(scope) => Need::Scope(scope.as_str()),
                Declared::Public | Declared::Session => {
                    panic!("{} is not for keys", e.name())
                }
            };
            let (expected, body) = expected(e.name())
                .unwrap_or_else(|| panic!("{} is missing from the caller matrix", e.name()));
            assert!(
                expected == need,
                "{} declares a need other than the matrix expects",
                e.name()
            );
            (e.name(), need, body)
        })
        .collect()
}

on_both!(
    every_endpoint_answers_every_kind_of_caller,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let session = app.setup_admin().await;
        let admin = Caller::Admin(session.clone());
        let viewer = Caller::Admin(app.add_account(&admin, "vic@example.com", "viewer").await);
        let all = json!(["keys:read", "keys:write", "keys:verify"]);
        let (expired_id, expired) = app.create_key(&admin, json!({"name": "expired", "scopes": all, "expires_at": (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339()})).await;
        let (disabled_id, disabled) = app
            .create_key(&admin, json!({"name": "disabled", "scopes": all}))
            .await;
        app.call("keys.disable", json!({"id": disabled_id}), &admin)
            .await;
        app.clock.advance_secs(31);
        let _ = expired_id;
        let (_, no_scopes) = app.create_key(&admin, json!({"name": "none"})).await;
        let (_, full) = app
            .create_key(&admin, json!({"name": "full", "scopes": all}))
            .await;
        let unknown = {
            // Well-formed, right checksum, never issued.
            let (id, s) = app.create_key(&admin, json!({"name": "gone"})).await;
            app.call("keys.delete", json!({"id": id}), &admin).await;
            s
        };

        for (path, need, body) in endpoints() {
            // Each round fails authentication five times on purpose: start a fresh rate window.
            app.clock.advance_secs(61);
            // The rounds outlast sudo mode's window: the admin session confirms each time.
            app.confirm_password(&admin).await;
            let target = || async { app.create_key(&admin, json!({"name": "target"})).await.0 };
            let check = |who: &str, reply: Reply, status: StatusCode, code: &str| {
                assert_eq!(reply.status, status, "{path} as {who}: {}", reply.text);
                if !code.is_empty() {
                    assert_eq!(reply.code(), code, "{path} as {who}");
                }
                if status == StatusCode::UNAUTHORIZED {
                    let www = reply.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
                    assert!(www.starts_with("Bearer"), "{path}: {www}");
                }
            };
            let id = target().await;
            check(
                "nobody",
                app.call(path, body(&id), &Caller::Anonymous).await,
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
            );
            check(
                "malformed key",
                app.call(path, body(&id), &Caller::Key("lsk_short".into()))
                    .await,
                StatusCode::UNAUTHORIZED,
                "key_malformed",
            );
            check(
                "non-bearer auth",
                app.call(
                    path,
                    body(&id),
                    &Caller::RawAuthorization("Basic YTpi".into()),
                )
                .await,
                StatusCode::UNAUTHORIZED,
                "key_malformed",
            );
            check(
                "unknown key",
                app.call(path, body(&id), &Caller::Key(unknown.clone()))
                    .await,
                StatusCode::UNAUTHORIZED,
                "key_not_found",
            );
            check(
                "expired key",
                app.call(path, body(&id), &Caller::Key(expired.clone()))
                    .await,
                StatusCode::UNAUTHORIZED,
                "key_expired",
            );
            check(
                "disabled key",
                app.call(path, body(&id), &Caller::Key(disabled.clone()))
                    .await,
                StatusCode::UNAUTHORIZED,
                "key_disabled",
            );
            let (scopeless, scoped, session_status, session_code) = match need {
                Need::KeyOnly => (
                    StatusCode::OK,
                    StatusCode::OK,
                    StatusCode::FORBIDDEN,
                    "forbidden",
                ),
                Need::AdminOnly => (
                    StatusCode::FORBIDDEN,
                    StatusCode::FORBIDDEN,
                    StatusCode::OK,
                    "",
                ),
                Need::Scope(_) => (StatusCode::FORBIDDEN, StatusCode::OK, StatusCode::OK, ""),
            };
            let scopeless_code = if matches!(need, Need::Scope(_)) {
                "missing_scope"
            } else {
                ""
            };
            check(
                "key without scopes",
                app.call(path, body(&id), &Caller::Key(no_scopes.clone()))
                    .await,
                scopeless,
                scopeless_code,
            );
            if let (Need::Scope(scope), StatusCode::FORBIDDEN) = (need, scopeless) {
                let r = app
                    .call(path, body(&id), &Caller::Key(no_scopes.clone()))
                    .await;
                assert_eq!(r.json["error"]["scope"], scope);
            }
            let id = target().await;
            check(
                "key with the scope",
                app.call(path, body(&id), &Caller::Key(full.clone())).await,
                scoped,
                "",
            );
            let id = target().await;
            check(
                "admin session",
                app.call(path, body(&id), &admin).await,
                session_status,
                session_code,
            );
            // A viewer reads keys and does nothing else (written here, not derived from
            // `Role::may`, so a wrong rule fails).
            let viewer_status = match need {
                Need::Scope("keys:read") => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            app.confirm_password(&viewer).await;
            let id = target().await;
            check(
                "viewer session",
                app.call(path, body(&id), &viewer).await,
                viewer_status,
                if viewer_status == StatusCode::OK {
                    ""
                } else {
                    "forbidden"
                },
            );
            let id = target().await;
            check(
                "cross-origin session",
                app.call(path, body(&id), &Caller::CrossOrigin(session.clone()))
                    .await,
                StatusCode::FORBIDDEN,
                "cross_origin",
            );
        }
    }
);

on_both!(
    whoami_answers_get_and_post_with_or_without_a_body,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, key) = app
            .create_key(
                &admin,
                json!({"name": "Woo", "project": "shop.example", "scopes": ["keys:verify"]}),
            )
            .await;
        for method in ["GET", "POST"] {
            let r = app
                .send(
                    Request::builder()
                        .method(method)
                        .uri("/api/v1/whoami")
                        .header(header::AUTHORIZATION, format!("Bearer {key}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{method}: {}", r.text);
            assert_eq!(
                r.json,
                json!({"key_id": id, "name": "Woo", "project": "shop.example", "scopes": ["keys:verify"], "expires_at": null})
            );
        }
        let put = app
            .send(
                Request::put("/api/v1/keys.list")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    }
);

on_both!(
    clients_that_accept_html_still_get_json_and_no_redirect,
    |backend| async move {
        // Java's HttpURLConnection and a browser tab send `Accept: text/html`; server functions
        // would answer such a request with a redirect to its `Referer` (or `/`).
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, key) = app
            .create_key(&admin, json!({"name": "Java", "scopes": ["keys:read"]}))
            .await;
        let caller = Caller::Key(key);
        let ask = |path: &str, body: &str| {
            app.request(path, &caller)
                .header(
                    header::ACCEPT,
                    "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2",
                )
                .header(header::REFERER, "https://shop.example/checkout")
                .body(Body::from(body.to_owned()))
                .unwrap()
        };
        let r = app.send(ask("whoami", "")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.headers.get(header::LOCATION).is_none(), "{:?}", r.headers);
        assert_eq!(r.json["key_id"], json!(id));
        let missing = app
            .send(ask(
                "keys.get",
                r#"{"id":"0193aaaa-0000-7000-8000-000000000000"}"#,
            ))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
        assert!(
            missing.headers.get(header::LOCATION).is_none(),
            "{:?}",
            missing.headers
        );
        assert_eq!(missing.json["error"]["code"], json!("not_found"));
    }
);

on_both!(
    errors_are_json_with_the_right_status,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, key) = app
            .create_key(
                &admin,
                json!({"name": "w", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        let k = Caller::Key(key.clone());
        let r = app
            .call(
                "keys.get",
                json!({"id": "0193aaaa-0000-7000-8000-000000000000"}),
                &k,
            )
            .await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.call("keys.create", json!({"name": ""}), &k).await;
        assert_eq!(
            (r.status, r.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
        );
        let r = app.call("keys.list", json!({"page_size": 101}), &k).await;
        assert_eq!(r.json["error"]["field"], "page_size");
        let r = app.call("keys.list", json!({"page": 0}), &k).await;
        assert_eq!(r.json["error"]["field"], "page");
        let r = app.call("keys.list", json!({"page": -1}), &k).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = app.call("keys.list", json!({"sort": "nonsense"}), &k).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let huge = json!({"name": "x".repeat(70 * 1024)});
        let r = app.call("keys.create", huge, &k).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        let r = app
            .send(
                Request::post("/api/v1/keys.list")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .body(Body::from("{not json"))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "bad_request")
        );
        // A key in the query string is refused and not used (no use is recorded).
        let r = app
            .send(
                Request::post(format!("/api/v1/whoami?key={key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "bad_request")
        );
        let r = app
            .send(
                Request::get(format!("/api/v1/keys.list?api_key={key}"))
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        app.flush_usage().await;
        let list = app.call("keys.list", json!({}), &admin).await;
        let uses: i64 = list.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["usage_count"].as_i64().unwrap())
            .sum();
        // Six accepted calls above: the oversized body and the one that is not JSON are refused
        // before they count as uses, and the query-string keys are never used.
        assert_eq!(uses, 6);
    }
);

on_both!(
    verify_checks_candidates_and_records_their_use,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, plugin) = app
            .create_key(&admin, json!({"name": "plugin", "scopes": ["keys:verify"]}))
            .await;
        let (cid, candidate) = app
            .create_key(
                &admin,
                json!({"name": "customer", "project": "c.example", "scopes": ["keys:read"]}),
            )
            .await;
        let plugin = Caller::Key(plugin);
        let verify = |key: String| app.call("keys.verify", json!({"key": key}), &plugin);
        let ok = verify(candidate.clone()).await;
        assert_eq!(ok.json["valid"], true);
        assert_eq!(ok.json["code"], "valid");
        assert_eq!(ok.json["key_id"], cid.as_str());
        assert_eq!(ok.json["scopes"], json!(["keys:read"]));
        assert_eq!(
            verify("lsk_nope".into()).await.json,
            json!({"valid": false, "code": "malformed", "key_id": null, "name": null, "project": null, "scopes": null, "expires_at": null})
        );
        let mut tampered = candidate.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify(String::from_utf8(tampered).unwrap()).await.json["code"],
            "malformed",
            "checksum fails"
        );
        app.call("keys.disable", json!({"id": cid}), &admin).await;
        assert_eq!(verify(candidate.clone()).await.json["code"], "disabled");
        app.call("keys.delete", json!({"id": cid}), &admin).await;
        assert_eq!(verify(candidate).await.json["code"], "not_found");
    }
);

on_both!(
    usage_is_tracked_without_a_database_write_per_request,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, key) = app.create_key(&admin, json!({"name": "busy"})).await;
        let whoami = || {
            app.send(
                Request::post("/api/v1/whoami")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .header(
                        header::USER_AGENT,
                        "WooCommerce/8.1 LicenseShipper-plugin/2.0",
                    )
                    .header("x-forwarded-for", "203.0.113.5")
                    .body(Body::empty())
                    .unwrap(),
            )
        };
        assert_eq!(whoami().await.status, StatusCode::OK); // warms the verification cache
        let before = app.statements.load(Ordering::SeqCst);
        for _ in 0..1000 {
            assert_eq!(whoami().await.status, StatusCode::OK);
        }
        let during = app.statements.load(Ordering::SeqCst) - before;
        assert_eq!(during, 0, "1,000 verified calls ran {during} statements");
        app.flush_usage().await;
        let flushed = app.statements.load(Ordering::SeqCst) - before - during;
        assert!(
            flushed <= 6,
            "one small flush, not a write per call: {flushed} statements"
        );
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["usage_count"], 1001);
        assert_eq!(item["last_used_ip"], "203.0.113.5");
        assert_eq!(
            item["last_used_user_agent"],
            "WooCommerce/8.1 LicenseShipper-plugin/2.0"
        );
        assert!(item["last_used_at"].is_string());
        let usage = app.call("keys.usage", json!({"id": id}), &admin).await.json;
        assert_eq!(usage["total"], 1001);
        assert_eq!(usage["days"].as_array().unwrap().len(), 30);
        assert_eq!(usage["days"][29]["count"], 1001, "today is the last day");
    }
);

on_both!(
    the_flusher_makes_use_visible_within_a_second_and_on_shutdown,
    |backend| async move {
        let app = TestApp::with(
            backend,
            Options {
                settings: Settings {
                    trust_proxy: true,
                    usage_flush_interval: Duration::from_millis(200),
                    ..Settings::default()
                },
            },
        )
        .await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, key) = app.create_key(&admin, json!({"name": "k"})).await;
        app.call("whoami", json!({}), &Caller::Key(key.clone()))
            .await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["usage_count"], 1, "visible within a second");
        app.call("whoami", json!({}), &Caller::Key(key)).await;
        app.state.shutdown().await;
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["usage_count"], 2, "flushed on shutdown");
    }
);

on_both!(
    failed_authentications_are_limited_per_ip,
    |backend| async move {
        let app = TestApp::with(
            backend,
            Options {
                settings: Settings {
                    trust_proxy: true,
                    failed_auth_per_minute: 20,
                    usage_flush_interval: Duration::from_secs(3600),
                    ..Settings::default()
                },
            },
        )
        .await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, good) = app.create_key(&admin, json!({"name": "good"})).await;
        let from = |ip: &str, key: &str| {
            app.send(
                Request::post("/api/v1/whoami")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .header("x-forwarded-for", ip.to_owned())
                    .body(Body::empty())
                    .unwrap(),
            )
        };
        for _ in 0..20 {
            assert_eq!(
                from("198.51.100.1", "lsk_wrong").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let blocked = from("198.51.100.1", "lsk_wrong").await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(blocked.headers.contains_key(header::RETRY_AFTER));
        assert_eq!(
            from("198.51.100.1", &good).await.status,
            StatusCode::OK,
            "a key that verifies is never refused for others' failures"
        );
        assert_eq!(
            from("198.51.100.2", "lsk_wrong").await.status,
            StatusCode::UNAUTHORIZED,
            "other IPs are unaffected"
        );
        app.clock.advance_secs(61);
        assert_eq!(
            from("198.51.100.1", "lsk_wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
);

on_both!(a_key_can_carry_its_own_rate_limit, |backend| async move {
    let app = TestApp::new(backend).await;
    let admin = Caller::Admin(app.setup_admin().await);
    let (id, key) = app
        .create_key(
            &admin,
            json!({"name": "limited", "rate_limit_per_minute": 3}),
        )
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(key.clone()))
                .await
                .status,
            StatusCode::OK
        );
    }
    let r = app
        .call("whoami", json!({}), &Caller::Key(key.clone()))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
    assert_eq!(item["rate_limit_per_minute"], 3);
    app.clock.advance_secs(60);
    assert_eq!(
        app.call("whoami", json!({}), &Caller::Key(key))
            .await
            .status,
        StatusCode::OK
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_another_replica_within_a_second() {
    let a = TestApp::new(Backend::Postgres).await;
    let b = a.replica(Options::default()).await;
    let admin = Caller::Admin(a.setup_admin().await);
    // Let both replicas subscribe to revocations.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for action in ["keys.delete", "keys.disable"] {
        let (id, key) = a.create_key(&admin, json!({"name": action})).await;
        // B verifies (and caches) the key.
        for _ in 0..3 {
            assert_eq!(
                b.call("whoami", json!({}), &Caller::Key(key.clone()))
                    .await
                    .status,
                StatusCode::OK
            );
        }
        assert!(!b.state.keys.cache().is_empty(), "B cached the key");
        a.call(action, json!({"id": id}), &admin).await;
        let started = std::time::Instant::now();
        loop {
            let r = b.call("whoami", json!({}), &Caller::Key(key.clone())).await;
            if r.status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{action}: replica B still accepts the key"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Sessions and usage are shared too.
    let session = match &admin {
        Caller::Admin(s) => s.clone(),
        _ => unreachable!(),
    };
    assert_eq!(
        b.call("keys.list", json!({}), &Caller::Admin(session.clone()))
            .await
            .status,
        StatusCode::OK
    );
    let (id, key) = a.create_key(&admin, json!({"name": "shared"})).await;
    for app in [&a, &b] {
        for _ in 0..5 {
            app.call("whoami", json!({}), &Caller::Key(key.clone()))
                .await;
        }
        app.flush_usage().await;
    }
    let item = b
        .call("keys.get", json!({"id": id}), &Caller::Admin(session))
        .await
        .json;
    assert_eq!(item["usage_count"], 10, "uses on both replicas add up");
}

on_both!(
    a_key_cannot_grant_scopes_it_does_not_hold,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, writer) = app
            .create_key(
                &admin,
                json!({"name": "provisioner", "scopes": ["keys:write", "keys:read"]}),
            )
            .await;
        let writer = Caller::Key(writer);
        let r = app
            .call(
                "keys.create",
                json!({"name": "escalated", "scopes": ["keys:verify"]}),
                &writer,
            )
            .await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
        let r = app
            .call(
                "keys.create",
                json!({"name": "narrower", "scopes": ["keys:read"]}),
                &writer,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "scopes": ["keys:write", "keys:read", "keys:verify"]}),
                &writer,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 2, "nothing escalated was created");
    }
);

//! The key vault: format, validation, storage (hashed + encrypted), lifecycle and audit.

use std::sync::Arc;

use app::server::{
    clock::Clock,
    entities::api_keys,
    keys::rewrap,
    vault::{Keyring, MasterKey},
};
use http::StatusCode;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set, Statement};
use serde_json::json;

use crate::{
    common::{Backend, Caller, TestApp},
    on_both,
};

async fn admin_app(backend: Backend) -> (TestApp, Caller) {
    let app = TestApp::new(backend).await;
    let admin = app.setup_admin().await;
    (app, Caller::Admin(admin))
}

async fn total(app: &TestApp, admin: &Caller) -> u64 {
    app.call("keys.list", json!({}), admin).await.json["total"]
        .as_u64()
        .unwrap()
}

on_both!(
    created_keys_have_the_documented_format,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let reply = app
            .call(
                "keys.create",
                json!({"name": "  WooCommerce  ", "project": "shop.example"}),
                &admin,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let secret = reply.json["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 42);
        assert!(secret.starts_with("lsk_"));
        let key = &reply.json["key"];
        assert_eq!(key["name"], "WooCommerce", "trimmed");
        assert_eq!(
            key["masked"],
            format!("{}••••••••{}", &secret[..8], &secret[38..])
        );
        assert_eq!(key["created_by"], "Ann Admin");
        assert_eq!(key["last_used_at"], serde_json::Value::Null);
        assert_eq!(key["recoverable"], true);
        assert_eq!(key["status"], "active");
        // UUIDv7 ids: not guessable integers.
        let id = uuid::Uuid::parse_str(key["id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
    }
);

on_both!(
    bad_key_input_gets_a_field_error_and_stores_nothing,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
        for (body, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "   "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": "tab\there"}), "name"),
            (json!({"name": "nul\u{0}"}), "name"),
            (json!({"name": "ok", "project": "p".repeat(254)}), "project"),
            (json!({"name": "ok", "expires_at": past}), "expires_at"),
            (
                json!({"name": "ok", "rate_limit_per_minute": 0}),
                "rate_limit_per_minute",
            ),
        ] {
            let r = app.call("keys.create", body.clone(), &admin).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.text
            );
            assert_eq!(r.json["error"]["field"], field, "{body}");
        }
        // 100 characters of any script are fine.
        let ok = app
            .call("keys.create", json!({"name": "ключ".repeat(25)}), &admin)
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        // Wrong types do not decode: a clear 400.
        for body in [
            json!({"name": 5}),
            json!({"name": "ok", "scopes": [5]}),
            json!({"name": "ok", "recoverable": "yes"}),
        ] {
            let r = app.call("keys.create", body.clone(), &admin).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
            assert_eq!(r.code(), "bad_request");
        }
        assert_eq!(total(&app, &admin).await, 1);
    }
);

on_both!(
    search_matches_name_or_creator_with_wildcards_taken_literally,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        for name in ["50% off shop", "a_b shop", "abc shop", "WooCommerce", "Шоп"] {
            app.create_key(&admin, json!({"name": name})).await;
        }
        let (_, integrator) = app
            .create_key(
                &admin,
                json!({"name": "Provisioner", "scopes": ["keys:write", "keys:read"]}),
            )
            .await;
        app.create_key(&Caller::Key(integrator), json!({"name": "made by a key"}))
            .await;

        let names = |reply: crate::common::Reply| -> Vec<String> {
            let mut v: Vec<String> = reply.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect();
            v.sort();
            v
        };
        let search = |q: &str| app.call("keys.list", json!({"query": q}), &admin);
        assert_eq!(names(search("%").await), ["50% off shop"]);
        assert_eq!(names(search("_").await), ["a_b shop"]);
        assert_eq!(names(search("woo").await), ["WooCommerce"]);
        assert_eq!(names(search("шоп").await), ["Шоп"], "Unicode case folding");
        assert_eq!(
            names(search("provisioner").await),
            ["Provisioner", "made by a key"],
            "creator matches"
        );
        let by_creator = search("ann admin").await;
        assert_eq!(by_creator.json["total"], 6);
        let made = app
            .call("keys.list", json!({"query": "made by"}), &admin)
            .await;
        assert_eq!(made.json["items"][0]["created_by"], "API key: Provisioner");
        assert_eq!(made.json["items"][0]["created_by_kind"], "key");
        assert_eq!(search("nothing like this").await.json["total"], 0);
        let bad = app
            .call("keys.list", json!({"query": "a\u{7}b"}), &admin)
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

on_both!(bulk_delete_is_all_or_nothing, |backend| async move {
    let (app, admin) = admin_app(backend).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.create_key(&admin, json!({"name": format!("k{i}")}))
                .await
                .0,
        );
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut with_unknown = ids.clone();
    with_unknown.push(unknown.clone());
    let r = app
        .call("keys.bulk_delete", json!({"ids": with_unknown}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&unknown));
    assert_eq!(total(&app, &admin).await, 3, "nothing deleted");

    let too_many: Vec<String> = (0..501).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let r = app
        .call("keys.bulk_delete", json!({"ids": too_many}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call("keys.bulk_delete", json!({"ids": []}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .call("keys.bulk_delete", json!({"ids": ids[..2]}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json, 2);
    assert_eq!(total(&app, &admin).await, 1);
    let history = app
        .call("keys.history", json!({"id": ids[0]}), &admin)
        .await;
    assert_eq!(
        history.json[0]["action"], "key.bulk_deleted",
        "audit outlives the key"
    );
});

on_both!(
    reveal_returns_the_secret_and_is_audited,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, secret) = app.create_key(&admin, json!({"name": "shop"})).await;
        let r = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["secret"], secret.as_str());
        assert_eq!(r.headers[http::header::CACHE_CONTROL], "no-store");
        let history = app.call("keys.history", json!({"id": id}), &admin).await;
        let actions: Vec<&str> = history
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["key.revealed", "key.created"]);
        assert_eq!(history.json[0]["actor_label"], "Ann Admin");

        let missing = app
            .call(
                "keys.reveal",
                json!({"id": uuid::Uuid::now_v7().to_string()}),
                &admin,
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);

        let (hidden, _) = app
            .create_key(&admin, json!({"name": "hash only", "recoverable": false}))
            .await;
        let r = app.call("keys.reveal", json!({"id": hidden}), &admin).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "not_recoverable");
        let row = api_keys::Entity::find_by_id(hidden)
            .one(&app.conn)
            .await
            .unwrap()
            .unwrap();
        assert!(
            row.secret_ciphertext.is_none()
                && row.secret_nonce.is_none()
                && row.master_key_id.is_none()
        );
    }
);

on_both!(
    rolled_secrets_overlap_for_the_grace_then_the_old_one_stops,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, old) = app
            .create_key(&admin, json!({"name": "shop", "scopes": ["keys:read"]}))
            .await;
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(old.clone()))
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 900}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let new = r.json["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert_eq!(r.json["key"]["id"], id.as_str(), "same key record");
        assert_eq!(r.json["key"]["scopes"], json!(["keys:read"]));
        assert!(r.json["key"]["previous_secret_expires_at"].is_string());
        for secret in [&old, &new] {
            let w = app
                .call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await;
            assert_eq!(w.status, StatusCode::OK);
            assert_eq!(w.json["key_id"], id.as_str());
        }
        app.clock.advance_secs(899);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(old.clone()))
                .await
                .status,
            StatusCode::OK
        );
        app.clock.advance_secs(2);
        let gone = app
            .call("whoami", json!({}), &Caller::Key(old.clone()))
            .await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
        assert_eq!(gone.code(), "key_expired");
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(new.clone()))
                .await
                .status,
            StatusCode::OK
        );
        // Revealing shows the new secret (after confirming the password: the session is 15
        // minutes old); rolling again with no grace kills the current one at once.
        app.confirm_password(&admin).await;
        let shown = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(shown.json["secret"], new.as_str());
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 0}), &admin)
            .await;
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(new))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let newest = r.json["secret"].as_str().unwrap().to_owned();
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(newest))
                .await
                .status,
            StatusCode::OK
        );
        let too_long = app
            .call(
                "keys.roll",
                json!({"id": id, "grace_seconds": 8 * 86400}),
                &admin,
            )
            .await;
        assert_eq!(too_long.json["error"]["field"], "grace_seconds");
    }
);

on_both!(
    expired_and_disabled_keys_are_refused,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let soon = (app.clock.now_ms() + 60_000) as f64 / 1000.0;
        let soon = chrono::DateTime::from_timestamp(soon as i64, 0)
            .unwrap()
            .to_rfc3339();
        let (_, expiring) = app
            .create_key(&admin, json!({"name": "soon", "expires_at": soon}))
            .await;
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(expiring.clone()))
                .await
                .status,
            StatusCode::OK
        );
        app.clock.advance_secs(61);
        let r = app.call("whoami", json!({}), &Caller::Key(expiring)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "key_expired")
        );
        let list = app
            .call("keys.list", json!({"filter": "expired"}), &admin)
            .await;
        assert_eq!(list.json["total"], 1);
        assert_eq!(list.json["items"][0]["status"], "expired");

        let (id, key) = app.create_key(&admin, json!({"name": "toggle"})).await;
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(key.clone()))
                .await
                .status,
            StatusCode::OK
        );
        let off = app.call("keys.disable", json!({"id": id}), &admin).await;
        assert_eq!(off.json["status"], "disabled");
        let r = app
            .call("whoami", json!({}), &Caller::Key(key.clone()))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "key_disabled")
        );
        let on = app.call("keys.enable", json!({"id": id}), &admin).await;
        assert_eq!(on.json["status"], "active");
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(key))
                .await
                .status,
            StatusCode::OK
        );
    }
);

on_both!(
    a_deleted_key_stops_working_at_once_despite_the_cache,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, key) = app.create_key(&admin, json!({"name": "shop"})).await;
        for _ in 0..3 {
            assert_eq!(
                app.call("whoami", json!({}), &Caller::Key(key.clone()))
                    .await
                    .status,
                StatusCode::OK
            );
        }
        app.call("keys.delete", json!({"id": id}), &admin).await;
        let search = app
            .call("keys.list", json!({"query": "shop"}), &admin)
            .await;
        assert_eq!(search.json["total"], 0, "gone from the search index too");
        let r = app.call("whoami", json!({}), &Caller::Key(key)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "key_not_found")
        );
        let again = app.call("keys.delete", json!({"id": id}), &admin).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
    }
);

on_both!(
    updates_change_only_what_is_sent_and_are_audited,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, key) = app
            .create_key(
                &admin,
                json!({"name": "shop", "project": "a.example", "scopes": ["keys:read"]}),
            )
            .await;
        let r = app
            .call("keys.update", json!({"id": id, "name": "Renamed"}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["name"], "Renamed");
        assert_eq!(r.json["project"], "a.example", "untouched");
        // The search index follows the new name.
        let found = app
            .call("keys.list", json!({"query": "renamed"}), &admin)
            .await;
        assert_eq!(found.json["total"], 1);
        let gone = app
            .call("keys.list", json!({"query": "shop"}), &admin)
            .await;
        assert_eq!(gone.json["total"], 0);
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "project": null, "scopes": ["keys:write"]}),
                &admin,
            )
            .await;
        assert_eq!(r.json["project"], serde_json::Value::Null);
        assert_eq!(r.json["scopes"], json!(["keys:write"]));
        // The key's new scopes apply to its next call at once.
        let w = app.call("whoami", json!({}), &Caller::Key(key)).await;
        assert_eq!(w.json["scopes"], json!(["keys:write"]));
        let bad = app
            .call("keys.update", json!({"id": id, "name": ""}), &admin)
            .await;
        assert_eq!(bad.json["error"]["field"], "name");
        let missing = app
            .call("keys.update", json!({"id": "nope", "name": "x"}), &admin)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let history = app.call("keys.history", json!({"id": id}), &admin).await;
        let actions: Vec<&str> = history
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["key.updated", "key.updated", "key.created"]);
        assert_eq!(
            history.json[1]["detail"]["name"],
            json!({"from": "shop", "to": "Renamed"})
        );
    }
);

on_both!(
    tampered_ciphertext_is_detected_not_a_panic,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, _) = app.create_key(&admin, json!({"name": "shop"})).await;
        let row = api_keys::Entity::find_by_id(id.clone())
            .one(&app.conn)
            .await
            .unwrap()
            .unwrap();
        let mut ct = row.secret_ciphertext.clone().unwrap();
        ct[5] ^= 0x40;
        let mut active = row.into_active_model();
        active.secret_ciphertext = Set(Some(ct));
        active.update(&app.conn).await.unwrap();
        let r = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(r.code(), "internal");
        assert!(
            !r.text.contains("vault"),
            "internals stay in the log: {}",
            r.text
        );
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    }
);

on_both!(
    the_wrong_master_key_is_refused_and_rotation_round_trips,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let mut secrets = Vec::new();
        for i in 0..5 {
            secrets.push(
                app.create_key(&admin, json!({"name": format!("k{i}")}))
                    .await,
            );
        }
        let old = || MasterKey::from_base64(&app.master_key_b64).unwrap();
        let stranger = Keyring::new(
            MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
            vec![],
        );
        let err = rewrap::check_keyring(&app.conn, &stranger)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not the configured master key"), "{err}");

        let new_b64 = MasterKey::generate_base64();
        let both = Keyring::new(MasterKey::from_base64(&new_b64).unwrap(), vec![old()]);
        let moved = rewrap::rewrap_all(&app.conn, &both, app.clock.now_ms(), 2)
            .await
            .unwrap();
        assert_eq!((moved.rewrapped, moved.remaining), (5, 0));
        let new_only = Arc::new(Keyring::new(
            MasterKey::from_base64(&new_b64).unwrap(),
            vec![],
        ));
        rewrap::check_keyring(&app.conn, &new_only).await.unwrap();
        assert!(
            rewrap::check_keyring(&app.conn, &Keyring::new(old(), vec![]))
                .await
                .is_err()
        );
        for (id, secret) in &secrets {
            let row = api_keys::Entity::find_by_id(id.clone())
                .one(&app.conn)
                .await
                .unwrap()
                .unwrap();
            let opened = new_only
                .open(
                    id,
                    row.secret_ciphertext.as_deref().unwrap(),
                    row.secret_nonce.as_deref().unwrap(),
                    row.master_key_id.as_deref().unwrap(),
                )
                .unwrap();
            assert_eq!(opened.expose(), secret);
        }
        // Rotating again is a no-op.
        assert_eq!(
            rewrap::rewrap_all(&app.conn, &new_only, 0, 2)
                .await
                .unwrap()
                .rewrapped,
            0
        );
    }
);

on_both!(no_secret_is_stored_in_plain_text, |backend| async move {
    let (app, admin) = admin_app(backend).await;
    let mut secrets = Vec::new();
    for i in 0..5 {
        secrets.push(
            app.create_key(
                &admin,
                json!({"name": format!("k{i}"), "recoverable": i % 2 == 0}),
            )
            .await
            .1,
        );
    }
    let (id, _) = app.create_key(&admin, json!({"name": "rolled"})).await;
    let r = app
        .call("keys.roll", json!({"id": id, "grace_seconds": 60}), &admin)
        .await;
    secrets.push(r.json["secret"].as_str().unwrap().to_owned());
    let mut dump = String::new();
    match backend {
        Backend::Sqlite => {
            app.exec("PRAGMA wal_checkpoint(FULL)").await;
            let path = app
                .db
                .url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    dump.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            assert!(dump.len() > 10_000, "read the database file");
        }
        Backend::Postgres => {
            for table in [
                "api_keys",
                "audit_events",
                "users",
                "sessions",
                "key_usage_daily",
                "login_attempts",
            ] {
                let rows = app
                    .conn
                    .query_all_raw(Statement::from_string(
                        app.backend(),
                        format!("SELECT t::text FROM {table} t"),
                    ))
                    .await
                    .unwrap();
                for row in rows {
                    dump.push_str(&row.try_get_by_index::<String>(0).unwrap());
                }
            }
        }
    }
    assert!(dump.contains("rolled"), "the dump has the data");
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "a secret is stored in plain text"
        );
        assert!(
            !dump.contains(&secret[8..30]),
            "a secret's body is stored in plain text"
        );
    }
});

on_both!(
    lists_sort_filter_and_page_on_the_server,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let day = 86_400_000i64;
        let at = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339()
        };
        let now = app.clock.now_ms();
        let (alpha_id, alpha) = app
            .create_key(
                &admin,
                json!({"name": "alpha", "expires_at": at(now + 2 * day)}),
            )
            .await;
        app.clock.advance_secs(1);
        let (bravo_id, _) = app
            .create_key(
                &admin,
                json!({"name": "Bravo", "expires_at": at(now + day)}),
            )
            .await;
        app.clock.advance_secs(1);
        let (_, charlie) = app.create_key(&admin, json!({"name": "Charlie"})).await;
        app.call("whoami", json!({}), &Caller::Key(alpha)).await;
        app.clock.advance_secs(1);
        app.call("whoami", json!({}), &Caller::Key(charlie)).await;
        app.flush_usage().await;
        app.call("keys.disable", json!({"id": bravo_id}), &admin)
            .await;

        async fn listed(app: &TestApp, admin: &Caller, body: serde_json::Value) -> Vec<String> {
            let r = app.call("keys.list", body, admin).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect()
        }
        let names = |body: serde_json::Value| listed(&app, &admin, body);
        assert_eq!(
            names(json!({})).await,
            ["Charlie", "Bravo", "alpha"],
            "newest first by default"
        );
        assert_eq!(
            names(json!({"sort": "name", "order": "asc"})).await,
            ["alpha", "Bravo", "Charlie"],
            "case-insensitive"
        );
        assert_eq!(
            names(json!({"sort": "name", "order": "desc"})).await,
            ["Charlie", "Bravo", "alpha"]
        );
        assert_eq!(
            names(json!({"sort": "created", "order": "asc"})).await,
            ["alpha", "Bravo", "Charlie"]
        );
        assert_eq!(
            names(json!({"sort": "last_used", "order": "desc"})).await,
            ["Charlie", "alpha", "Bravo"],
            "never used last"
        );
        assert_eq!(
            names(json!({"sort": "last_used", "order": "asc"})).await,
            ["Bravo", "alpha", "Charlie"],
            "never used first"
        );
        assert_eq!(
            names(json!({"sort": "expires", "order": "asc"})).await,
            ["Bravo", "alpha", "Charlie"],
            "never expiring last"
        );
        assert_eq!(
            names(json!({"sort": "expires", "order": "desc"})).await,
            ["Charlie", "alpha", "Bravo"]
        );
        assert_eq!(names(json!({"filter": "never_used"})).await, ["Bravo"]);
        assert_eq!(names(json!({"filter": "disabled"})).await, ["Bravo"]);
        assert_eq!(
            names(json!({"filter": "expired"})).await,
            Vec::<String>::new()
        );
        app.clock.advance_secs(86_400);
        // A day later the session has idled out: sign in again.
        let admin = Caller::Admin(
            crate::common::Session::from_reply(
                &app.login("ann@example.com", crate::common::PASSWORD).await,
            )
            .unwrap(),
        );
        assert_eq!(
            listed(&app, &admin, json!({"filter": "expired"})).await,
            ["Bravo"]
        );
        let alpha_item = app
            .call("keys.get", json!({"id": alpha_id}), &admin)
            .await
            .json;
        assert_eq!(alpha_item["status"], "active");

        for i in 0..23 {
            app.create_key(&admin, json!({"name": format!("extra {i:02}")}))
                .await;
        }
        let page = |n: u64| {
            app.call(
                "keys.list",
                json!({"page": n, "page_size": 10, "sort": "name", "order": "asc"}),
                &admin,
            )
        };
        let third = page(3).await.json;
        assert_eq!(third["total"], 26);
        assert_eq!(third["page"], 3);
        assert_eq!(third["page_size"], 10);
        assert_eq!(third["items"].as_array().unwrap().len(), 6);
        assert_eq!(third["items"][5]["name"], "extra 22");
        assert_eq!(page(4).await.json["items"], json!([]));
        let first = page(1).await.json;
        assert_eq!(first["items"][0]["name"], "alpha");
        assert_eq!(first["items"][1]["name"], "Bravo");
    }
);

on_both!(
    the_search_index_covers_keys_created_before_it_existed,
    |backend| async move {
        use app::api::types::{SortField, SortOrder};
        use app::server::keys::list::ListParams;
        use migration::MigratorTrait;
        let db = crate::common::TestDb::new(backend).await;
        let conn = app::server::db::connect(&db.url).await.unwrap();
        // Schema changes go through one SQLite connection (see `db::schema_connection`).
        let schema = app::server::db::schema_connection(&conn).await.unwrap();
        migration::Migrator::up(&schema, Some(4)).await.unwrap();
        let ring = Keyring::new(
            MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
            vec![],
        );
        let state = app::server::AppState::start(
            conn.clone(),
            ring,
            Arc::new(app::server::clock::SystemClock),
            Default::default(),
        );
        // Rows as that schema held them (today's entity has columns added since).
        for (i, name) in ["older shop", "another shop", "unrelated"]
            .iter()
            .enumerate()
        {
            conn.execute_raw(sea_orm::Statement::from_sql_and_values(
                conn.get_database_backend(),
                match conn.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "INSERT INTO api_keys (id, name, search_text, name_lower, start, last4, secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_label, updated_at) VALUES ($1, $2, $3, $4, 'lsk_AbCd', 'wXyZ', $5, false, '', 0, 'system', 'test', 0)",
                    _ => "INSERT INTO api_keys (id, name, search_text, name_lower, start, last4, secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_label, updated_at) VALUES (?, ?, ?, ?, 'lsk_AbCd', 'wXyZ', ?, false, '', 0, 'system', 'test', 0)",
                },
                [
                    format!("0190000{i}-0000-7000-8000-000000000000").into(),
                    (*name).into(),
                    format!("{name}\ntest").into(),
                    (*name).into(),
                    format!("hash-{i}").into(),
                ],
            ))
            .await
            .unwrap();
        }
        migration::Migrator::up(&schema, None).await.unwrap();
        let page = state
            .keys
            .list(ListParams {
                query: Some("shop".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.rows.len(), 2);
        // Sorted by the names the migration copied into the index (SQLite), not by its
        // defaults: "another" first, though its id comes second.
        for (order, want) in [
            (SortOrder::Asc, ["another shop", "older shop"]),
            (SortOrder::Desc, ["older shop", "another shop"]),
        ] {
            let sorted = state
                .keys
                .list(ListParams {
                    query: Some("shop".into()),
                    sort: Some(SortField::Name),
                    order: Some(order),
                    ..Default::default()
                })
                .await
                .unwrap();
            let names: Vec<&str> = sorted.rows.iter().map(|k| k.name.as_str()).collect();
            assert_eq!(names, want, "{order:?}");
        }
        state.shutdown().await;
    }
);

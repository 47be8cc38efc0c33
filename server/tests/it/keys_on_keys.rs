//! A key acting on keys: only on keys within its own scopes, never beyond its own expiry or rate
//! limit, and what it learns about keys outside its rights (issue: key takeover by key holders).

use app::server::clock::Clock;
use http::StatusCode;
use serde_json::{json, Value};

use crate::{
    common::{Caller, TestApp},
    on_both,
};

async fn admin_app(backend: crate::common::Backend) -> (TestApp, Caller) {
    let app = TestApp::new(backend).await;
    let admin = Caller::Admin(app.setup_admin().await);
    (app, admin)
}

fn future(app: &TestApp, days: i64) -> String {
    chrono::DateTime::from_timestamp_millis(app.clock.now_ms() + days * 86_400_000)
        .unwrap()
        .to_rfc3339()
}

async fn whoami(app: &TestApp, secret: &str) -> StatusCode {
    app.call("whoami", json!({}), &Caller::Key(secret.to_owned()))
        .await
        .status
}

on_both!(
    a_write_key_cannot_take_over_a_key_holding_a_scope_it_lacks,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (_, manager) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        let (plugin_id, plugin) = app
            .create_key(
                &admin,
                json!({"name": "shop plugin", "scopes": ["keys:verify"]}),
            )
            .await;
        let as_manager = Caller::Key(manager.clone());
        let attempts: [(&str, Value); 7] = [
            (
                "keys.roll",
                json!({"id": plugin_id, "grace_seconds": 604800}),
            ),
            ("keys.update", json!({"id": plugin_id, "name": "mine now"})),
            ("keys.disable", json!({"id": plugin_id})),
            ("keys.enable", json!({"id": plugin_id})),
            ("keys.delete", json!({"id": plugin_id})),
            ("keys.bulk_delete", json!({"ids": [plugin_id]})),
            ("keys.reveal", json!({"id": plugin_id})),
        ];
        for (path, body) in attempts {
            let r = app.call(path, body, &as_manager).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
            assert!(r.text.find("lsk_").is_none(), "{path} leaked a secret");
            if path != "keys.reveal" {
                assert_eq!(r.code(), "missing_scope", "{path}");
                assert_eq!(r.json["error"]["scope"], "keys:verify", "{path}");
            }
        }
        // Nothing changed: the plugin's own secret still works, name and status intact.
        assert_eq!(whoami(&app, &plugin).await, StatusCode::OK);
        let item = app.call("keys.get", json!({"id": plugin_id}), &admin).await;
        assert_eq!(item.json["name"], "shop plugin");
        assert_eq!(item.json["status"], "active");
        assert!(item.json["previous_secret_expires_at"].is_null());

        // Keys within its scopes are fair game; admins may act on anything.
        let (reader_id, _) = app
            .create_key(&admin, json!({"name": "reader", "scopes": ["keys:read"]}))
            .await;
        let r = app
            .call("keys.roll", json!({"id": reader_id}), &as_manager)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .call("keys.roll", json!({"id": plugin_id}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

on_both!(
    a_key_sees_addresses_and_admins_only_for_keys_it_may_act_on,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (_, reader) = app
            .create_key(&admin, json!({"name": "reader", "scopes": ["keys:read"]}))
            .await;
        let (plugin_id, plugin) = app
            .create_key(&admin, json!({"name": "plugin", "scopes": ["keys:verify"]}))
            .await;
        let (peer_id, peer) = app
            .create_key(&admin, json!({"name": "peer", "scopes": []}))
            .await;
        for secret in [&plugin, &peer] {
            let r = app
                .call(
                    "whoami",
                    json!({}),
                    &Caller::KeyFromIp(secret.to_string(), "203.0.113.50".into()),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        app.flush_usage().await;
        let as_reader = Caller::Key(reader.clone());

        let outside = app
            .call("keys.get", json!({"id": plugin_id}), &as_reader)
            .await;
        assert_eq!(outside.status, StatusCode::OK);
        assert!(
            outside.json["last_used_at"].is_string(),
            "when stays visible"
        );
        assert!(outside.json["last_used_ip"].is_null(), "{}", outside.text);
        assert!(outside.json["last_used_user_agent"].is_null());
        assert_eq!(outside.json["created_by"], "Admin");
        assert!(!outside.text.contains("Ann Admin"));

        let inside = app
            .call("keys.get", json!({"id": peer_id}), &as_reader)
            .await;
        assert_eq!(inside.json["last_used_ip"], "203.0.113.50");
        assert_eq!(inside.json["created_by"], "Ann Admin");

        let list = app.call("keys.list", json!({}), &as_reader).await;
        for item in list.json["items"].as_array().unwrap() {
            let within = item["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s == "keys:read");
            if within {
                assert_eq!(item["created_by"], "Ann Admin", "{item}");
            } else {
                assert_eq!(item["created_by"], "Admin", "{item}");
                assert!(item["last_used_ip"].is_null(), "{item}");
            }
        }
        let history = app
            .call("keys.history", json!({"id": plugin_id}), &as_reader)
            .await;
        assert_eq!(history.status, StatusCode::OK);
        assert!(!history.text.contains("Ann Admin"), "{}", history.text);
        assert!(!history.text.contains("192.0.2.10"), "{}", history.text);
        // An admin sees everything.
        let full = app.call("keys.get", json!({"id": plugin_id}), &admin).await;
        assert_eq!(full.json["last_used_ip"], "203.0.113.50");
        let history = app
            .call("keys.history", json!({"id": plugin_id}), &admin)
            .await;
        assert!(history.text.contains("Ann Admin"));
    }
);

on_both!(
    a_key_cannot_extend_itself_or_mint_keys_that_outlive_or_outpace_it,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let expiry = future(&app, 30);
        let (manager_id, manager) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"],
                       "expires_at": expiry, "rate_limit_per_minute": 100}),
            )
            .await;
        let as_manager = Caller::Key(manager.clone());
        let refused: [(&str, Value, &str); 6] = [
            (
                "keys.update",
                json!({"id": manager_id, "expires_at": null}),
                "expires_at",
            ),
            (
                "keys.update",
                json!({"id": manager_id, "expires_at": future(&app, 365)}),
                "expires_at",
            ),
            (
                "keys.update",
                json!({"id": manager_id, "rate_limit_per_minute": null}),
                "rate_limit_per_minute",
            ),
            (
                "keys.update",
                json!({"id": manager_id, "rate_limit_per_minute": 101}),
                "rate_limit_per_minute",
            ),
            (
                "keys.create",
                json!({"name": "forever", "rate_limit_per_minute": 10}),
                "expires_at",
            ),
            (
                "keys.create",
                json!({"name": "unlimited", "expires_at": expiry}),
                "rate_limit_per_minute",
            ),
        ];
        for (path, body, field) in refused {
            let r = app.call(path, body.clone(), &as_manager).await;
            assert_eq!(
                (r.status, r.code(), r.json["error"]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation", Some(field)),
                "{path} {body}: {}",
                r.text
            );
        }
        let me = app
            .call("keys.get", json!({"id": manager_id}), &admin)
            .await;
        assert_eq!(me.json["rate_limit_per_minute"], 100);
        assert!(me.json["expires_at"].is_string());
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 1, "no child was created");

        // Within its own bounds it may shorten itself and create children.
        let r = app
            .call(
                "keys.update",
                json!({"id": manager_id, "rate_limit_per_minute": 50, "expires_at": future(&app, 10)}),
                &as_manager,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .call(
                "keys.create",
                json!({"name": "child", "scopes": ["keys:read"], "expires_at": future(&app, 5),
                       "rate_limit_per_minute": 50}),
                &as_manager,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["key"]["created_by"], "API key: manager");
        assert_eq!(r.json["key"]["created_by_kind"], "key");
        // Nor may it lengthen a child beyond its own expiry later.
        let child_id = r.json["key"]["id"].as_str().unwrap().to_owned();
        let r = app
            .call(
                "keys.update",
                json!({"id": child_id, "expires_at": null}),
                &as_manager,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

/// An admin-made management key, a child it made, and a grandchild the child made.
async fn family(app: &TestApp, admin: &Caller) -> [(String, String); 3] {
    let manager = app
        .create_key(
            admin,
            json!({"name": "manager", "scopes": ["keys:read", "keys:write"]}),
        )
        .await;
    let child = app
        .create_key(
            &Caller::Key(manager.1.clone()),
            json!({"name": "child", "scopes": ["keys:read", "keys:write"]}),
        )
        .await;
    let grandchild = app
        .create_key(
            &Caller::Key(child.1.clone()),
            json!({"name": "grandchild", "scopes": ["keys:read"]}),
        )
        .await;
    [manager, child, grandchild]
}

on_both!(
    disabling_or_deleting_a_leaked_key_can_take_its_offspring_along,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let [manager, child, grandchild] = family(&app, &admin).await;
        let bystander = app
            .create_key(&admin, json!({"name": "bystander", "scopes": []}))
            .await;
        let got = app.call("keys.get", json!({"id": manager.0}), &admin).await;
        assert_eq!(got.json["created_keys"], 2, "a child and a grandchild");

        // Without cascade only the key itself.
        let r = app
            .call("keys.disable", json!({"id": manager.0}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(whoami(&app, &manager.1).await, StatusCode::UNAUTHORIZED);
        assert_eq!(whoami(&app, &child.1).await, StatusCode::OK);

        // With cascade, its whole line.
        let r = app
            .call(
                "keys.disable",
                json!({"id": manager.0, "cascade": true}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for secret in [&manager.1, &child.1, &grandchild.1] {
            assert_eq!(whoami(&app, secret).await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(whoami(&app, &bystander.1).await, StatusCode::OK);
        let history = app
            .call("keys.history", json!({"id": grandchild.0}), &admin)
            .await;
        assert_eq!(history.json[0]["action"], "key.disabled");
        assert_eq!(
            history.json[0]["detail"]["cascade_from"],
            manager.0.as_str()
        );

        let r = app
            .call(
                "keys.delete",
                json!({"id": manager.0, "cascade": true}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let list = app.call("keys.list", json!({}), &admin).await;
        let names: Vec<&str> = list.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["bystander"]);

        // Bulk delete cascades too.
        let [m2, c2, g2] = family(&app, &admin).await;
        let r = app
            .call(
                "keys.bulk_delete",
                json!({"ids": [m2.0], "cascade": true}),
                &admin,
            )
            .await;
        assert_eq!(r.json, 3, "{}", r.text);
        for secret in [&m2.1, &c2.1, &g2.1] {
            assert_eq!(whoami(&app, secret).await, StatusCode::UNAUTHORIZED);
        }
    }
);

on_both!(
    a_cascade_reaching_a_key_outside_the_callers_rights_changes_nothing,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let [manager, child, _] = family(&app, &admin).await;
        // An admin later widens the child beyond what the manager holds.
        let r = app
            .call(
                "keys.update",
                json!({"id": child.0, "scopes": ["keys:read", "keys:write", "keys:verify"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(
                "keys.delete",
                json!({"id": manager.0, "cascade": true}),
                &Caller::Key(manager.1.clone()),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "missing_scope")
        );
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 3, "all or nothing");
    }
);

on_both!(
    a_replaced_secret_still_authenticates_but_manages_nothing,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, leaked) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        // The owner rolls the leaked key with a grace for its integrations.
        let r = app
            .call(
                "keys.roll",
                json!({"id": id, "grace_seconds": 3600}),
                &Caller::Key(leaked.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let current = r.json["secret"].as_str().unwrap().to_owned();
        let as_thief = Caller::Key(leaked.clone());
        assert_eq!(whoami(&app, &leaked).await, StatusCode::OK, "grace holds");
        for (path, body) in [
            ("keys.roll", json!({"id": id, "grace_seconds": 0})),
            ("keys.create", json!({"name": "backdoor"})),
            ("keys.update", json!({"id": id, "name": "mine"})),
            ("keys.disable", json!({"id": id})),
            ("keys.delete", json!({"id": id})),
        ] {
            let r = app.call(path, body, &as_thief).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{path}: {}",
                r.text
            );
        }
        assert_eq!(whoami(&app, &current).await, StatusCode::OK);
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 1);
    }
);

on_both!(
    a_bounded_key_cannot_act_on_a_key_that_outlives_or_outpaces_it,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (_, manager) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"],
                       "expires_at": future(&app, 30), "rate_limit_per_minute": 100}),
            )
            .await;
        let (forever_id, _) = app
            .create_key(&admin, json!({"name": "customer key, no expiry"}))
            .await;
        for (path, body) in [
            ("keys.roll", json!({"id": forever_id})),
            ("keys.disable", json!({"id": forever_id})),
            ("keys.update", json!({"id": forever_id, "name": "x"})),
        ] {
            let r = app.call(path, body, &Caller::Key(manager.clone())).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{path}: {}",
                r.text
            );
        }
    }
);

on_both!(
    a_cascade_reaches_descendants_after_a_key_in_between_is_deleted,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let [manager, child, grandchild] = family(&app, &admin).await;
        // The leaked manager deletes the key in between, hoping its grandchild escapes.
        let r = app
            .call(
                "keys.delete",
                json!({"id": child.0}),
                &Caller::Key(manager.1.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let got = app.call("keys.get", json!({"id": manager.0}), &admin).await;
        assert_eq!(
            got.json["created_keys"], 0,
            "only direct lines are counted for display"
        );
        let r = app
            .call(
                "keys.disable",
                json!({"id": manager.0, "cascade": true}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(whoami(&app, &grandchild.1).await, StatusCode::UNAUTHORIZED);
    }
);

on_both!(
    a_key_disabled_after_it_authenticated_can_no_longer_act,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, _) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        // The actor as the gate resolved it a moment ago...
        let actor = app::server::audit::Actor {
            kind: app::server::audit::ActorKind::Key,
            id: Some(id.clone()),
            label: "manager".into(),
            ip: None,
            secret_hash: None,
        };
        // ...and an admin disabling it before its mutation runs.
        let r = app.call("keys.disable", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::OK);
        let err = app
            .state
            .keys
            .create(
                &actor,
                serde_json::from_value(json!({"name": "late child"})).unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            app::api::ApiError::from(err),
            app::api::ApiError::InvalidKey(app::api::error::KeyRejection::Disabled)
        );
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 1);
    }
);

on_both!(
    a_key_cannot_find_admins_by_searching_for_their_names,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (_, reader) = app
            .create_key(&admin, json!({"name": "reader", "scopes": ["keys:read"]}))
            .await;
        app.create_key(&admin, json!({"name": "plugin", "scopes": ["keys:verify"]}))
            .await;
        let by_admin = app.call("keys.list", json!({"query": "ann"}), &admin).await;
        assert_eq!(by_admin.json["total"], 2, "admins search creators too");
        let by_key = app
            .call("keys.list", json!({"query": "ann"}), &Caller::Key(reader))
            .await;
        assert_eq!(by_key.status, StatusCode::OK);
        assert_eq!(by_key.json["total"], 0, "{}", by_key.text);
    }
);

on_both!(
    a_stale_view_of_the_acting_key_grants_nothing,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        let (id, secret) = app
            .create_key(
                &admin,
                json!({"name": "manager", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        let hash = |s: &str| {
            app::server::vault::hash_secret(&app::server::vault::format::parse(s).unwrap())
        };
        // The actor as a replica's cache saw it, with the secret it presented.
        let actor = app::server::audit::Actor {
            kind: app::server::audit::ActorKind::Key,
            id: Some(id.clone()),
            label: "manager".into(),
            ip: None,
            secret_hash: Some(hash(&secret)),
        };
        let create = |actor: app::server::audit::Actor| {
            let keys = &app.state.keys;
            async move {
                keys.create(
                    &actor,
                    serde_json::from_value(json!({"name": "child"})).unwrap(),
                )
                .await
                .map_err(app::api::ApiError::from)
            }
        };
        assert!(create(actor.clone()).await.is_ok());
        // Rolled since: the secret it presented is only the previous one now.
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 600}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(matches!(
            create(actor.clone()).await,
            Err(app::api::ApiError::Forbidden(_))
        ));
        // With the current secret, but keys:write taken away since.
        let current = Some(hash(r.json["secret"].as_str().unwrap()));
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "scopes": ["keys:read"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let fresh = app::server::audit::Actor {
            secret_hash: current,
            ..actor
        };
        assert_eq!(
            create(fresh).await.unwrap_err(),
            app::api::ApiError::MissingScope(app::api::types::Scope::KeysWrite)
        );
    }
);

on_both!(
    keys_made_before_lineages_were_recorded_get_theirs,
    |backend| async move {
        use migration::MigratorTrait;
        use sea_orm::ConnectionTrait;
        let db = crate::common::TestDb::new(backend).await;
        let conn = app::server::db::connect(&db.url).await.unwrap();
        // Schema changes go through one SQLite connection (see `db::schema_connection`).
        let schema = app::server::db::schema_connection(&conn).await.unwrap();
        migration::Migrator::up(&schema, Some(5)).await.unwrap();
        // A manager (by an admin), its child and grandchild, as the previous schema held them.
        let insert = |id: &str, kind: &str, by: Option<&str>| {
            let sql = match conn.get_database_backend() {
                sea_orm::DbBackend::Postgres => "INSERT INTO api_keys (id, name, search_text, name_lower, start, last4, secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_id, created_by_label, updated_at) VALUES ($1, $1, $1, $1, 'lsk_AbCd', 'wXyZ', $1, false, '', 0, $2, $3, 'x', 0)",
                _ => "INSERT INTO api_keys (id, name, search_text, name_lower, start, last4, secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_id, created_by_label, updated_at) VALUES (?1, ?1, ?1, ?1, 'lsk_AbCd', 'wXyZ', ?1, false, '', 0, ?2, ?3, 'x', 0)",
            };
            sea_orm::Statement::from_sql_and_values(
                conn.get_database_backend(),
                sql,
                [id.into(), kind.into(), by.map(str::to_owned).into()],
            )
        };
        let (m, c, g) = (
            "01900000-0000-7000-8000-00000000000a",
            "01900000-0000-7000-8000-00000000000b",
            "01900000-0000-7000-8000-00000000000c",
        );
        for stmt in [
            insert(m, "user", None),
            insert(c, "key", Some(m)),
            insert(g, "key", Some(c)),
        ] {
            conn.execute_raw(stmt).await.unwrap();
        }
        migration::Migrator::up(&schema, None).await.unwrap();
        let ancestors = |id: &'static str| {
            let conn = conn.clone();
            async move {
                use sea_orm::EntityTrait;
                app::server::entities::api_keys::Entity::find_by_id(id)
                    .one(&conn)
                    .await
                    .unwrap()
                    .unwrap()
                    .ancestors
            }
        };
        assert_eq!(ancestors(m).await, "");
        assert_eq!(ancestors(c).await, m);
        assert_eq!(ancestors(g).await, format!("{m} {c}"));
    }
);

on_both!(
    ids_that_are_no_key_ids_name_no_key_even_when_cascading,
    |backend| async move {
        let (app, admin) = admin_app(backend).await;
        family(&app, &admin).await;
        for id in ["", "%", "_", "0", "01"] {
            for path in ["keys.delete", "keys.disable"] {
                let r = app
                    .call(path, json!({"id": id, "cascade": true}), &admin)
                    .await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} {id:?}: {}", r.text);
            }
        }
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 3, "nothing was touched");
    }
);

//! Per-key IP allowlists: a key limited to some CIDR ranges works only from addresses inside
//! them, wherever it authenticates or is verified; keys cannot widen what binds them.

use http::StatusCode;
use serde_json::json;

use crate::{
    common::{Caller, TestApp},
    on_both,
};

on_both!(
    a_key_works_only_from_its_ranges_and_changes_apply_at_once,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let r = app
        .call("keys.create", json!({"name": "Shop", "allowed_cidrs": ["203.0.113.77/24", "2001:db8::1/32", "198.51.100.7"]}), &admin)
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.json["key"]["allowed_cidrs"],
            json!(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"])
        );
        let (id, secret) = (
            r.json["key"]["id"].as_str().unwrap().to_owned(),
            r.json["secret"].as_str().unwrap().to_owned(),
        );
        let from = |ip: &str| Caller::KeyFromIp(secret.clone(), ip.to_owned());

        for inside in [
            "203.0.113.9",
            "198.51.100.7",
            "2001:db8:5::1",
            "::ffff:203.0.113.200",
        ] {
            let r = app.call("whoami", json!({}), &from(inside)).await;
            assert_eq!(r.status, StatusCode::OK, "{inside}: {}", r.text);
        }
        for outside in ["203.0.114.1", "198.51.100.8", "2001:db9::1", "192.0.2.10"] {
            let r = app.call("whoami", json!({}), &from(outside)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{outside}: {}", r.text);
            assert_eq!(r.code(), "ip_not_allowed", "{outside}");
            assert!(!r.text.contains(&secret));
        }
        // A refused address is not a use.
        app.flush_usage().await;
        let uses =
            app.call("keys.get", json!({"id": id}), &admin).await.json["usage_count"].clone();
        assert_eq!(uses, 4);

        // Emptied, the key works from anywhere again; narrowed, at once (no stale cache).
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "allowed_cidrs": []}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &from("192.0.2.10"))
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "allowed_cidrs": ["10.0.0.0/8"]}),
                &admin,
            )
            .await;
        assert_eq!(r.json["allowed_cidrs"], json!(["10.0.0.0/8"]));
        assert_eq!(
            app.call("whoami", json!({}), &from("192.0.2.10"))
                .await
                .code(),
            "ip_not_allowed"
        );
        assert_eq!(
            app.call("whoami", json!({}), &from("10.200.0.1"))
                .await
                .status,
            StatusCode::OK
        );

        // The change is in the key's history.
        let r = app.call("keys.history", json!({"id": id}), &admin).await;
        assert!(r.text.contains("10.0.0.0/8"), "{}", r.text);
    }
);

on_both!(
    bad_ranges_are_refused_by_field_and_change_nothing,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, _) = app
            .create_key(
                &admin,
                json!({"name": "Shop", "allowed_cidrs": ["10.0.0.0/8"]}),
            )
            .await;
        let too_many: Vec<String> = (0..=app::api::types::MAX_ALLOWED_CIDRS)
            .map(|i| format!("10.{}.0.0/16", i))
            .collect();
        for bad in [
            json!(["10.0.0.0/33"]),
            json!(["shop.example.com"]),
            json!(["10.0.0.0/8", ""]),
            json!(too_many),
        ] {
            let r = app
                .call(
                    "keys.create",
                    json!({"name": "Bad", "allowed_cidrs": bad}),
                    &admin,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
            assert_eq!(r.json["error"]["field"], "allowed_cidrs");
            let r = app
                .call(
                    "keys.update",
                    json!({"id": id, "allowed_cidrs": bad}),
                    &admin,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text
            );
            assert_eq!(r.json["error"]["field"], "allowed_cidrs");
        }
        let r = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(r.json["total"], 1);
        assert_eq!(r.json["items"][0]["allowed_cidrs"], json!(["10.0.0.0/8"]));
    }
);

on_both!(
    verify_checks_the_address_the_plugin_passes,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, plugin) = app
            .create_key(&admin, json!({"name": "Plugin", "scopes": ["keys:verify"]}))
            .await;
        let (_, customer) = app
            .create_key(
                &admin,
                json!({"name": "Customer", "allowed_cidrs": ["203.0.113.0/24"]}),
            )
            .await;
        let plugin = Caller::Key(plugin);
        let verify = |ip: serde_json::Value| {
            let mut body = json!({"key": customer});
            if !ip.is_null() {
                body["ip"] = ip;
            }
            app.call("keys.verify", body, &plugin)
        };
        let r = verify(json!("203.0.113.5")).await;
        assert_eq!(r.json["valid"], true, "{}", r.text);
        let r = verify(json!("198.51.100.1")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            (r.json["valid"].clone(), r.json["code"].clone()),
            (json!(false), json!("ip_not_allowed")),
            "{}",
            r.text
        );
        assert!(r.json["key_id"].is_null());
        // Without an address the plugin learns the key is valid (it cannot say where it came from).
        assert_eq!(verify(json!(null)).await.json["valid"], true);
        let r = verify(json!("not an address")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "ip");
    }
);

on_both!(
    a_key_bound_to_ranges_cannot_mint_or_manage_wider_keys,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let all = json!(["keys:read", "keys:write"]);
        let (_, manager) = app
            .create_key(
                &admin,
                json!({"name": "CI", "scopes": all, "allowed_cidrs": ["10.0.0.0/8"]}),
            )
            .await;
        let ci = Caller::KeyFromIp(manager.clone(), "10.1.2.3".into());

        // Anywhere, or wider, is refused by field; narrower is fine.
        for wider in [
            json!([]),
            json!(["0.0.0.0/0"]),
            json!(["10.0.0.0/7"]),
            json!(["10.0.0.0/8", "192.0.2.0/24"]),
        ] {
            let r = app
                .call(
                    "keys.create",
                    json!({"name": "child", "allowed_cidrs": wider}),
                    &ci,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{wider}: {}",
                r.text
            );
            assert_eq!(r.json["error"]["field"], "allowed_cidrs");
        }
        let r = app
            .call(
                "keys.create",
                json!({"name": "child", "allowed_cidrs": ["10.1.0.0/16"]}),
                &ci,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let child = r.json["key"]["id"].as_str().unwrap().to_owned();
        let r = app
            .call(
                "keys.update",
                json!({"id": child, "allowed_cidrs": []}),
                &ci,
            )
            .await;
        assert_eq!(r.json["error"]["field"], "allowed_cidrs", "{}", r.text);

        // A key usable from anywhere is outside its rights.
        let (open_id, _) = app.create_key(&admin, json!({"name": "open"})).await;
        let r = app.call("keys.disable", json!({"id": open_id}), &ci).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(
            app.call("keys.get", json!({"id": open_id}), &admin)
                .await
                .json["status"],
            "active"
        );
    }
);

on_both!(
    opening_a_key_to_more_addresses_needs_a_fresh_password_and_others_see_no_ranges,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, secret) = app
            .create_key(
                &admin,
                json!({"name": "Office", "allowed_cidrs": ["10.0.0.0/16"]}),
            )
            .await;
        // A refusal by address is no failed authentication: no WWW-Authenticate challenge.
        let r = app
            .call(
                "whoami",
                json!({}),
                &Caller::KeyFromIp(secret, "192.0.2.1".into()),
            )
            .await;
        assert_eq!(r.code(), "ip_not_allowed");
        assert!(r.headers.get(http::header::WWW_AUTHENTICATE).is_none());
        app.clock
            .advance_secs(app::server::caller::DEFAULT_REAUTH_WINDOW.as_secs() as i64 + 1);
        // Narrowing needs nothing more; widening or removing asks for the password.
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "allowed_cidrs": ["10.0.1.0/24"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for wider in [json!([]), json!(["10.0.0.0/8"])] {
            let r = app
                .call(
                    "keys.update",
                    json!({"id": id, "allowed_cidrs": wider}),
                    &admin,
                )
                .await;
            assert_eq!(r.code(), "reauth_required", "{}", r.text);
        }
        assert_eq!(
            app.call("keys.get", json!({"id": id}), &admin).await.json["allowed_cidrs"],
            json!(["10.0.1.0/24"])
        );
        app.confirm_password(&admin).await;
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "allowed_cidrs": ["10.0.0.0/16"], "scopes": ["keys:write"]}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // A key reading keys sees the ranges only of keys within its rights, in the item and in
        // the key's history.
        let (_, reader) = app
            .create_key(&admin, json!({"name": "Reader", "scopes": ["keys:read"]}))
            .await;
        let r = app
            .call("keys.get", json!({"id": id}), &Caller::Key(reader.clone()))
            .await;
        assert_eq!(r.json["allowed_cidrs"], json!([]), "{}", r.text);
        let r = app
            .call("keys.history", json!({"id": id}), &Caller::Key(reader))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(!r.text.contains("10.0."), "{}", r.text);
    }
);

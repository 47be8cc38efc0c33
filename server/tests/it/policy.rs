//! The key policy: a maximum lifetime and a default expiry, enforced on create, update and roll
//! whoever asks; and the "Expiring soon" filter.

use app::server::clock::Clock;
use http::StatusCode;
use serde_json::json;

use crate::{
    common::{Caller, TestApp},
    on_both,
};

fn days_ahead(app: &TestApp, r: &serde_json::Value, days: i64) -> bool {
    let at = chrono::DateTime::parse_from_rfc3339(r.as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    at == app.clock.now_ms() + days * 86_400_000
}

on_both!(
    the_policy_sets_and_bounds_every_expiry,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let (old, _) = app
            .create_key(&ann, json!({"name": "Before the policy"}))
            .await;
        // A key that may create keys, made before the policy, expiring after its maximum.
        let (_, manager) = app.create_key(&ann, json!({"name": "CI", "scopes": ["keys:write"], "expires_at": (app.clock.now() + chrono::Duration::days(100)).to_rfc3339()})).await;

        // Set by an admin, readable by a viewer, audited.
        let r = app
            .call(
                "settings.update",
                json!({"max_lifetime_days": 90, "default_expiry_days": 30}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let vic = Caller::Admin(app.add_account(&ann, "vic@example.com", "viewer").await);
        let r = app.call("settings.get", json!({}), &vic).await;
        assert_eq!(
            (
                r.json["max_lifetime_days"].clone(),
                r.json["default_expiry_days"].clone()
            ),
            (json!(90), json!(30))
        );
        assert_eq!(r.json["updated_by"], "Ann Admin");
        assert_eq!(
            app.call("settings.update", json!({"max_lifetime_days": null}), &vic)
                .await
                .code(),
            "forbidden"
        );
        let r = app
            .call("audit.list", json!({"action": "settings."}), &ann)
            .await;
        assert_eq!(
            r.json[0]["detail"]["max_lifetime_days"]["to"], 90,
            "{}",
            r.text
        );

        // Create: no expiry gets the default; beyond the maximum is refused by field.
        let r = app
            .call("keys.create", json!({"name": "Default"}), &ann)
            .await;
        assert!(
            days_ahead(&app, &r.json["key"]["expires_at"], 30),
            "{}",
            r.text
        );
        let far = (app.clock.now() + chrono::Duration::days(91)).to_rfc3339();
        for who in [&ann, &Caller::Key(manager.clone())] {
            let r = app
                .call(
                    "keys.create",
                    json!({"name": "Far", "expires_at": far}),
                    who,
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            assert_eq!(r.json["error"]["field"], "expires_at");
            assert!(r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("90 days"));
        }

        // Update: never, or beyond the maximum, is refused; within is fine.
        let r = app
            .call("keys.update", json!({"id": old, "expires_at": null}), &ann)
            .await;
        assert_eq!(r.json["error"]["field"], "expires_at", "{}", r.text);
        let r = app
            .call("keys.update", json!({"id": old, "expires_at": far}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The old key kept its "never" until now; a rename does not touch it.
        let r = app
            .call("keys.update", json!({"id": old, "name": "Renamed"}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.json["expires_at"].is_null());

        // Roll: the new secret lives at most the maximum.
        let r = app.call("keys.roll", json!({"id": old}), &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(
            days_ahead(&app, &r.json["key"]["expires_at"], 90),
            "{}",
            r.text
        );

        // Bad policies change nothing.
        for (body, field) in [
            (json!({"max_lifetime_days": 0}), "max_lifetime_days"),
            (json!({"max_lifetime_days": 3651}), "max_lifetime_days"),
            (
                json!({"max_lifetime_days": 10, "default_expiry_days": 20}),
                "default_expiry_days",
            ),
        ] {
            let r = app.call("settings.update", body, &ann).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            assert_eq!(r.json["error"]["field"], field);
        }
        assert_eq!(
            app.call("settings.get", json!({}), &ann).await.json["max_lifetime_days"],
            90
        );

        // Lifted: keys may be made to never expire again.
        let r = app
            .call(
                "settings.update",
                json!({"max_lifetime_days": null, "default_expiry_days": null}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call("keys.create", json!({"name": "Forever"}), &ann)
            .await;
        assert!(r.json["key"]["expires_at"].is_null());
    }
);

on_both!(
    expiring_soon_lists_active_keys_that_expire_within_a_week,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let at = |days: i64| (app.clock.now() + chrono::Duration::days(days)).to_rfc3339();
        app.create_key(&ann, json!({"name": "Tomorrow", "expires_at": at(1)}))
            .await;
        app.create_key(&ann, json!({"name": "Next week", "expires_at": at(7)}))
            .await;
        app.create_key(&ann, json!({"name": "Next month", "expires_at": at(30)}))
            .await;
        app.create_key(&ann, json!({"name": "Never"})).await;
        let (off, _) = app
            .create_key(&ann, json!({"name": "Disabled soon", "expires_at": at(2)}))
            .await;
        app.call("keys.disable", json!({"id": off}), &ann).await;
        let r = app
            .call(
                "keys.list",
                json!({"filter": "expiring_soon", "sort": "expires", "order": "asc"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let names: Vec<&str> = r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Tomorrow", "Next week"]);
        assert_eq!(r.json["total"], 2);
        // A day later, yesterday's "tomorrow" has expired and is no longer "soon".
        let (_, reader) = app
            .create_key(&ann, json!({"name": "Reader", "scopes": ["keys:read"]}))
            .await;
        app.clock.advance_secs(2 * 86_400);
        let r = app
            .call(
                "keys.list",
                json!({"filter": "expiring_soon"}),
                &Caller::Key(reader),
            )
            .await;
        assert_eq!(r.json["total"], 1);
    }
);

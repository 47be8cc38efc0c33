//! The audit log as one filterable record: by action, actor, key and time, newest first,
//! paged by cursor, and exported as CSV.

use http::StatusCode;
use serde_json::{json, Value};

use crate::{
    common::{Caller, TestApp},
    on_both,
};

fn actions(r: &Value) -> Vec<String> {
    r.as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

on_both!(
    events_are_filtered_by_action_actor_key_and_time,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let (woo, _) = app.create_key(&ann, json!({"name": "Woo"})).await;
        let (_, manager) = app
            .create_key(
                &ann,
                json!({"name": "Deploy bot", "scopes": ["keys:write"]}),
            )
            .await;
        let bot = Caller::Key(manager);
        // Half an hour after the set-up, half an hour before what follows.
        let latest = app.call("audit.list", json!({"limit": 1}), &ann).await.json[0]["at"].clone();
        let mark = (chrono::DateTime::parse_from_rfc3339(latest.as_str().unwrap()).unwrap()
            + chrono::Duration::minutes(30))
        .to_rfc3339();
        app.clock.advance_secs(3600);
        app.call("keys.disable", json!({"id": woo}), &bot).await;
        let (_, _) = app.create_key(&bot, json!({"name": "Shopify"})).await;
        app.call("keys.enable", json!({"id": woo}), &ann).await;
        let r = app
            .login("ann@example.com", "wrong password entirely")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // By actor name, ignoring case: the bot's two acts, newest first.
        let r = app
            .call("audit.list", json!({"actor": "DEPLOY"}), &ann)
            .await;
        assert_eq!(
            actions(&r.json),
            ["key.created", "key.disabled"],
            "{}",
            r.text
        );
        // By key: everything about Woo, newest first.
        let r = app.call("audit.list", json!({"key_id": woo}), &ann).await;
        assert_eq!(
            actions(&r.json),
            ["key.enabled", "key.disabled", "key.created"]
        );
        // By action prefix, with the failed sign-in's address.
        let r = app
            .call("audit.list", json!({"action": "auth.login_failed"}), &ann)
            .await;
        assert_eq!(actions(&r.json), ["auth.login_failed"]);
        assert!(r.json[0]["ip"].is_string());
        // By time: from the mark on (inclusive), and until it (exclusive).
        let r = app
            .call("audit.list", json!({"from": mark, "action": "key."}), &ann)
            .await;
        assert_eq!(
            actions(&r.json),
            ["key.enabled", "key.created", "key.disabled"]
        );
        let r = app
            .call("audit.list", json!({"until": mark, "action": "key."}), &ann)
            .await;
        assert_eq!(actions(&r.json), ["key.created", "key.created"]);
        // Conditions combine, and a cursor pages within them.
        let r = app
            .call("audit.list", json!({"key_id": woo, "limit": 2}), &ann)
            .await;
        let last = r.json[1]["id"].clone();
        let r = app
            .call(
                "audit.list",
                json!({"key_id": woo, "limit": 2, "before": last}),
                &ann,
            )
            .await;
        assert_eq!(actions(&r.json), ["key.created"]);
        // Wildcards are text: `%` matches only a `%`.
        let r = app.call("audit.list", json!({"actor": "%"}), &ann).await;
        assert_eq!(r.json.as_array().unwrap().len(), 0, "{}", r.text);

        // A range ending before it starts is a 422 naming `until`; an unknown argument too.
        let r = app
            .call(
                "audit.list",
                json!({"from": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json["error"]["field"], "until");
        // Keys never read the log.
        let r = app.call("audit.list", json!({}), &bot).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

on_both!(filter_text_is_matched_as_written, |backend| async move {
    let app = TestApp::new(backend).await;
    let ann = Caller::Admin(app.setup_admin().await);
    app.create_key(&ann, json!({"name": "Woo"})).await;
    // `%` and `_` match only themselves, in the action prefix and in the actor.
    for (field, text) in [
        ("action", "%"),
        ("action", "key_"),
        ("actor", "%"),
        ("actor", "A_n"),
    ] {
        let r = app.call("audit.list", json!({field: text}), &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.json.as_array().unwrap().len(),
            0,
            "{field} {text}: {}",
            r.text
        );
    }
    let r = app
        .call("audit.list", json!({"action": "key."}), &ann)
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 1);
});

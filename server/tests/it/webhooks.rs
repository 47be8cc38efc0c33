//! Webhooks: every event signed and checked by the Standard Webhooks reference library (the
//! `standardwebhooks` npm package, run by `server/tests/receiver/receiver.mjs`), retries on
//! schedule, failure and auto-disable, secret rolls, SSRF refusals, replicas sharing the work,
//! expiry events once, bulk deletes, and a crash between commit and delivery.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use app::server::clock::Clock;
use http::StatusCode;
use serde_json::{json, Value};

use crate::{
    common::{Backend, Caller, Options, TestApp},
    on_both, process,
};

/// The receiver process (killed on drop).
pub struct Receiver {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl Receiver {
    pub fn start() -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/receiver");
        let mut child = Command::new("node")
            .arg("receiver.mjs")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the webhook receiver (make test-deps installs its package)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = serde_json::from_str::<Value>(&line).expect("receiver prints its port")["port"]
            .as_u64()
            .unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    pub async fn control(&self, body: Value) {
        let r = self
            .http
            .post(format!("{}/_control", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn log(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/_log", self.base))
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    }

    /// Waits (up to 30 s) until `n` webhooks arrived (answered or not); answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.log().await;
            if log.len() >= n {
                return log;
            }
            assert!(
                Instant::now() < until,
                "{} of {n} webhooks arrived: {log:#?}",
                log.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Adds an endpoint for `events` on `receiver` as `admin`; answers (id, secret) and tells the
/// receiver to verify with that secret.
async fn add_endpoint(
    app: &TestApp,
    admin: &Caller,
    receiver: &Receiver,
    events: Value,
) -> (String, String) {
    let r = app
        .call(
            "webhooks.create",
            json!({"url": format!("{}/hooks", receiver.base), "events": events}),
            admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let secret = r.json["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.control(json!({"secrets": [secret]})).await;
    (
        r.json["endpoint"]["id"].as_str().unwrap().to_owned(),
        secret,
    )
}

/// The endpoint's attempts once there are `n` (waking the worker meanwhile), newest first.
async fn attempts(app: &TestApp, admin: &Caller, endpoint: &str, n: usize) -> Vec<Value> {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        app.state.webhooks.wake();
        let r = app
            .call(
                "webhooks.deliveries",
                json!({"id": endpoint, "limit": 100}),
                admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let list = r.json.as_array().unwrap().clone();
        if list.len() >= n {
            return list;
        }
        assert!(
            Instant::now() < until,
            "{} of {n} attempts: {list:#?}",
            list.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh session for Ann (after the clock moved past her session's life).
async fn relogin(app: &TestApp) -> Caller {
    let r = app.login("ann@example.com", crate::common::PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Caller::Admin(crate::common::Session::from_reply(&r).unwrap())
}

fn ms(at: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

/// A `whsec_` secret that is not the endpoint's (the library must refuse it).
fn stranger() -> String {
    use base64::Engine;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    )
}

on_both!(
    every_key_event_is_signed_and_verified_by_the_reference_library,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let (endpoint, secret) = add_endpoint(
            &app,
            &ann,
            &receiver,
            json!([
                "key.created",
                "key.updated",
                "key.rolled",
                "key.disabled",
                "key.enabled",
                "key.deleted",
                "key.leaked",
                "key.expiring",
                "key.expired"
            ]),
        )
        .await;
        receiver
            .control(json!({"secrets": [secret, stranger()]}))
            .await;

        let in_30_days = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
        let (a, secret_a) = app
            .create_key(
                &ann,
                json!({"name": "Shop A", "expires_at": in_30_days, "recoverable": true}),
            )
            .await;
        let (b, secret_b) = app.create_key(&ann, json!({"name": "Shop B"})).await;
        assert_eq!(
            app.call("keys.update", json!({"id": a, "name": "Shop A2"}), &ann)
                .await
                .status,
            StatusCode::OK
        );
        let r = app.call("keys.roll", json!({"id": a}), &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rolled = r.json["secret"].as_str().unwrap().to_owned();
        assert_eq!(
            app.call("keys.disable", json!({"id": b}), &ann)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("keys.enable", json!({"id": b}), &ann).await.status,
            StatusCode::OK
        );
        let r = app
            .call(
                "keys.report_leaked",
                json!({"id": b, "url": "https://paste.example/1"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            app.call("keys.bulk_delete", json!({"ids": [a, b]}), &ann)
                .await
                .status,
            StatusCode::OK
        );

        let log = receiver.wait_for(10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let log = if receiver.log().await.len() > log.len() {
            receiver.log().await
        } else {
            log
        };
        let types: BTreeMap<String, usize> = log.iter().fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e["type"].as_str().unwrap().to_owned()).or_default() += 1;
            m
        });
        let expected: BTreeMap<String, usize> = [
            ("key.created", 2),
            ("key.updated", 1),
            ("key.rolled", 1),
            // The leak disables the key: `key.leaked`, and `key.disabled` for who follows that.
            ("key.disabled", 2),
            ("key.enabled", 1),
            ("key.leaked", 1),
            ("key.deleted", 2),
        ]
        .into_iter()
        .map(|(t, n)| (t.to_owned(), n))
        .collect();
        assert_eq!(types, expected, "{log:#?}");
        let mut ids = BTreeSet::new();
        for e in &log {
            // The reference library accepts our signature, and refuses another secret's.
            assert_eq!(e["verifiedBy"], json!([0]), "{e:#?}");
            assert_eq!(e["contentType"], "application/json");
            assert!(
                ids.insert(e["id"].as_str().unwrap().to_owned()),
                "one id per message"
            );
            assert!(e["id"].as_str().unwrap().starts_with("msg_"));
            let payload = &e["payload"];
            assert!(payload["timestamp"].is_string());
            assert!([a.as_str(), b.as_str()].contains(&payload["data"]["id"].as_str().unwrap()));
            assert!(
                payload["data"]["masked"].is_string(),
                "data is the key item"
            );
            // Never a secret.
            for s in [&secret_a, &secret_b, &rolled] {
                assert!(!e["body"].as_str().unwrap().contains(s.as_str()));
            }
            let sent = e["timestamp"].as_str().unwrap().parse::<i64>().unwrap();
            assert!((chrono::Utc::now().timestamp() - sent).abs() < 60);
        }
        let leaked = log.iter().find(|e| e["type"] == "key.leaked").unwrap();
        assert_eq!(
            leaked["payload"]["data"]["leaked_url"],
            "https://paste.example/1"
        );
        assert_eq!(leaked["payload"]["data"]["status"], "disabled");

        // The log shows each attempt: delivered at the first, answered 200 with the body.
        let list = attempts(&app, &ann, &endpoint, 10).await;
        for attempt in &list {
            assert_eq!(attempt["attempt"], 1);
            assert_eq!(attempt["status_code"], 200);
            assert_eq!(attempt["succeeded"], true);
            assert_eq!(attempt["response"], "ok");
            assert_eq!(attempt["delivery_status"], "succeeded");
        }

        // Resend: the same message again, same id, still verified.
        let first = list.last().unwrap()["message_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = app
            .call(
                "webhooks.resend",
                json!({"id": endpoint, "message_id": first}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let log = receiver.wait_for(11).await;
        assert_eq!(log[10]["id"], first);
        assert_eq!(log[10]["verifiedBy"], json!([0]));
        let list = attempts(&app, &ann, &endpoint, 11).await;
        assert_eq!(list[0]["attempt"], 2);

        // A test event reaches this endpoint only, signed like the rest.
        let r = app
            .call("webhooks.test", json!({"id": endpoint}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let log = receiver.wait_for(12).await;
        assert_eq!(log[11]["type"], "webhook.test");
        assert_eq!(log[11]["id"], r.json);
        assert_eq!(log[11]["verifiedBy"], json!([0]));

        // Admin sessions only: a viewer and a key are refused, and the secret never shows again.
        let vic = Caller::Admin(app.add_account(&ann, "vic@example.com", "viewer").await);
        assert_eq!(
            app.call("webhooks.list", json!({}), &vic).await.status,
            StatusCode::FORBIDDEN
        );
        let (_, key) = app
            .create_key(
                &ann,
                json!({"name": "CI", "scopes": ["keys:read", "keys:write"]}),
            )
            .await;
        assert_eq!(
            app.call("webhooks.list", json!({}), &Caller::Key(key))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = app.call("webhooks.list", json!({}), &ann).await;
        assert_eq!(r.json[0]["id"], endpoint);
        assert!(!r.text.contains(&secret[6..]), "{}", r.text);
        let r = app
            .call("audit.list", json!({"action": "webhook."}), &ann)
            .await;
        assert_eq!(r.json[0]["action"], "webhook.created");
        assert!(!r.text.contains(&secret[6..]));
        // The audit log (which viewers read) keeps the URL's origin, not its path.
        assert_eq!(r.json[0]["detail"]["url"], receiver.base.as_str());

        // Sudo mode: a session whose password is not recent may read, not change.
        app.clock.advance_secs(11 * 60);
        for (function, body) in [
            (
                "webhooks.create",
                json!({"url": format!("{}/x", receiver.base), "events": ["key.created"]}),
            ),
            ("webhooks.update", json!({"id": endpoint, "disabled": true})),
            ("webhooks.roll_secret", json!({"id": endpoint})),
            ("webhooks.delete", json!({"id": endpoint})),
        ] {
            let r = app.call(function, body, &ann).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "reauth_required"),
                "{function}: {}",
                r.text
            );
        }
        assert_eq!(
            app.call("webhooks.deliveries", json!({"id": endpoint}), &ann)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("webhooks.list", json!({}), &ann)
                .await
                .json
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

on_both!(
    hostile_answers_are_logged_safely_and_redirects_not_followed,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let (endpoint, _) = add_endpoint(&app, &ann, &receiver, json!(["key.created"])).await;
        // Binary, with NUL bytes (which PostgreSQL text refuses): logged, as text.
        receiver.control(json!({"replyBinary": true})).await;
        app.create_key(&ann, json!({"name": "one"})).await;
        let list = attempts(&app, &ann, &endpoint, 1).await;
        assert_eq!(list[0]["status_code"], 200);
        assert_eq!(list[0]["delivery_status"], "succeeded");
        let shown = list[0]["response"].as_str().unwrap();
        assert!(!shown.contains('\0') && shown.contains('A'), "{shown:?}");
        // A long body: its first 1 KB is kept.
        receiver
            .control(json!({"replyBinary": false, "replyBody": "x".repeat(5000)}))
            .await;
        app.create_key(&ann, json!({"name": "two"})).await;
        let list = attempts(&app, &ann, &endpoint, 2).await;
        assert_eq!(list[0]["response"].as_str().unwrap(), "x".repeat(1024));
        // A redirect is a failure, and is not followed.
        receiver
            .control(json!({"replyBody": "ok", "fail": 1, "status": 302, "location": format!("{}/elsewhere", receiver.base)}))
            .await;
        app.create_key(&ann, json!({"name": "three"})).await;
        let list = attempts(&app, &ann, &endpoint, 3).await;
        assert_eq!(list[0]["status_code"], 302);
        assert_eq!(list[0]["delivery_status"], "pending");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let log = receiver.log().await;
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|e| e["path"] == "/hooks"), "{log:#?}");
    }
);

on_both!(
    internal_targets_are_refused_when_saved_and_when_sent,
    |backend| async move {
        let policy = |allow_insecure, allow_private, deliver| Options {
            settings: app::server::state::Settings {
                webhooks: app::server::webhooks::DeliverySettings {
                    poll_interval: Duration::from_millis(50),
                    targets: app::server::webhooks::target::TargetPolicy {
                        allow_insecure,
                        allow_private,
                    },
                    deliver,
                    ..Default::default()
                },
                ..Options::default().settings
            },
        };
        let app = TestApp::with(backend, policy(false, false, false)).await;
        let ann = Caller::Admin(app.setup_admin().await);
        for url in [
            "https://127.0.0.1/hooks",
            "https://10.1.2.3/hooks",
            "https://169.254.169.254/latest/meta-data/",
            "https://localhost/hooks",
            "https://[::1]/hooks",
            "https://[::ffff:10.0.0.1]/hooks",
            "http://93.184.215.14/hooks",
            "https://user:pw@93.184.215.14/hooks",
            "ftp://93.184.215.14/",
        ] {
            let r = app
                .call(
                    "webhooks.create",
                    json!({"url": url, "events": ["key.created"]}),
                    &ann,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{url}: {}",
                r.text
            );
            assert_eq!(r.json["error"]["field"], "url", "{url}");
        }
        let r = app
            .call(
                "webhooks.create",
                json!({"url": "https://93.184.215.14/", "events": ["key.nope"]}),
                &ann,
            )
            .await;
        assert_eq!(
            (r.status, r.json["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("events"))
        );
        let r = app
            .call(
                "webhooks.create",
                json!({"url": "https://93.184.215.14/", "events": []}),
                &ann,
            )
            .await;
        assert_eq!(r.json["error"]["field"], "events");
        // Nothing was saved or audited.
        assert_eq!(
            app.call("webhooks.list", json!({}), &ann).await.json,
            json!([])
        );
        assert_eq!(
            app.call("audit.list", json!({"action": "webhook."}), &ann)
                .await
                .json,
            json!([])
        );

        // Saved where private targets were allowed, then sent by a replica that allows http but
        // not private addresses: refused at delivery, for an address and for a name that
        // resolves to loopback; nothing arrives.
        let receiver = Receiver::start();
        let port = receiver.base.rsplit(':').next().unwrap().to_owned();
        let lax = app.replica(policy(true, true, false)).await;
        let sender = app.replica(policy(true, false, true)).await;
        let mut ids = Vec::new();
        for url in [
            format!("http://127.0.0.1:{port}/hooks"),
            format!("http://localhost:{port}/hooks"),
        ] {
            let r = lax
                .call(
                    "webhooks.create",
                    json!({"url": url, "events": ["key.created"]}),
                    &ann,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            ids.push(r.json["endpoint"]["id"].as_str().unwrap().to_owned());
        }
        app.create_key(&ann, json!({"name": "Shop"})).await;
        let by_address = attempts(&sender, &ann, &ids[0], 1).await;
        let by_name = attempts(&sender, &ann, &ids[1], 1).await;
        assert!(
            by_address[0]["error"]
                .as_str()
                .unwrap()
                .contains("loopback"),
            "{by_address:#?}"
        );
        assert!(
            by_name[0]["error"].as_str().unwrap().contains("loopback"),
            "{by_name:#?}"
        );
        assert_eq!(by_name[0]["status_code"], Value::Null);
        // And a replica that does not allow http does not send to an http URL saved under
        // a laxer policy.
        let strict = app.replica(policy(false, false, true)).await;
        sender.state.shutdown().await;
        app.create_key(&ann, json!({"name": "Shop 2"})).await;
        let list = attempts(&strict, &ann, &ids[0], 2).await;
        assert!(
            list[0]["error"].as_str().unwrap().contains("https"),
            "{list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(receiver.log().await.is_empty());
    }
);

on_both!(
    a_receiver_down_gets_retries_on_schedule_then_success,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let (endpoint, _) = add_endpoint(&app, &ann, &receiver, json!(["key.created"])).await;
        receiver.control(json!({"fail": 3, "status": 503})).await;
        app.create_key(&ann, json!({"name": "Shop"})).await;

        let list = attempts(&app, &ann, &endpoint, 1).await;
        assert_eq!(
            (list[0]["attempt"].clone(), list[0]["status_code"].clone()),
            (json!(1), json!(503))
        );
        assert_eq!(list[0]["response"], "receiver is down (503)");
        assert_eq!(list[0]["delivery_status"], "pending");
        assert_eq!(ms(&list[0]["next_attempt_at"]) - ms(&list[0]["at"]), 5_000);
        // Not before it is due.
        app.state.webhooks.wake();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(attempts(&app, &ann, &endpoint, 1).await.len(), 1);
        let r = app.call("webhooks.list", json!({}), &ann).await;
        assert!(r.json[0]["failing_since"].is_string());

        for (n, wait_secs, next_secs) in
            [(2, 5, Some(300)), (3, 300, Some(1_800)), (4, 1_800, None)]
        {
            app.clock.advance_secs(wait_secs);
            let list = attempts(&app, &ann, &endpoint, n).await;
            assert_eq!(list[0]["attempt"], n as u64);
            match next_secs {
                Some(next) => {
                    assert_eq!(list[0]["status_code"], 503);
                    assert_eq!(
                        ms(&list[0]["next_attempt_at"]) - ms(&list[0]["at"]),
                        next * 1000
                    );
                }
                None => {
                    assert_eq!(list[0]["status_code"], 200);
                    assert_eq!(list[0]["delivery_status"], "succeeded");
                    assert_eq!(list[0]["next_attempt_at"], Value::Null);
                }
            }
        }
        let log = receiver.log().await;
        assert_eq!(log.len(), 4);
        assert!(log
            .iter()
            .all(|e| e["id"] == log[0]["id"] && e["verifiedBy"] == json!([0])));
        let r = app.call("webhooks.list", json!({}), &ann).await;
        assert_eq!(
            r.json[0]["failing_since"],
            Value::Null,
            "a success ends the failing streak"
        );
    }
);

on_both!(
    retries_run_out_then_five_failing_days_disable_the_endpoint,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let (endpoint, _) = add_endpoint(&app, &ann, &receiver, json!(["key.created"])).await;
        receiver.control(json!({"fail": 1000, "status": 500})).await;
        app.create_key(&ann, json!({"name": "Shop"})).await;
        attempts(&app, &ann, &endpoint, 1).await;
        let schedule = app::api::webhooks::types::WEBHOOK_RETRY_SCHEDULE_SECS;
        let mut ann = ann;
        for (i, delay) in schedule.iter().enumerate().skip(1) {
            app.clock.advance_secs(*delay as i64);
            ann = relogin(&app).await;
            attempts(&app, &ann, &endpoint, i + 1).await;
        }
        let list = attempts(&app, &ann, &endpoint, schedule.len()).await;
        assert_eq!(list.len(), 8);
        assert_eq!(list[0]["delivery_status"], "failed");
        assert_eq!(list[0]["next_attempt_at"], Value::Null);
        // No ninth attempt.
        app.clock.advance_secs(36_000);
        let ann = relogin(&app).await;
        app.state.webhooks.wake();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.log().await.len(), 8);
        let r = app.call("webhooks.list", json!({}), &ann).await;
        assert_eq!(
            r.json[0]["disabled_at"],
            Value::Null,
            "failing for under five days"
        );

        // Five days of nothing but failures: the next failure disables it, and says why.
        app.clock.advance_secs(4 * 86_400);
        let ann = relogin(&app).await;
        app.create_key(&ann, json!({"name": "Shop 2"})).await;
        attempts(&app, &ann, &endpoint, 9).await;
        let r = app.call("webhooks.list", json!({}), &ann).await;
        assert!(r.json[0]["disabled_at"].is_string(), "{}", r.text);
        assert!(
            r.json[0]["disabled_reason"]
                .as_str()
                .unwrap()
                .contains("every delivery failed"),
            "{}",
            r.text
        );
        let r = app
            .call("audit.list", json!({"action": "webhook.disabled"}), &ann)
            .await;
        assert_eq!(r.json.as_array().unwrap().len(), 1);
        // A disabled endpoint gets nothing more, and its test is refused.
        app.create_key(&ann, json!({"name": "Shop 3"})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(attempts(&app, &ann, &endpoint, 9).await.len(), 9);
        assert_eq!(
            app.call("webhooks.test", json!({"id": endpoint}), &ann)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // Enabled again: the streak is cleared.
        let r = app
            .call(
                "webhooks.update",
                json!({"id": endpoint, "disabled": false}),
                &ann,
            )
            .await;
        assert_eq!(
            (
                r.json["disabled_at"].clone(),
                r.json["disabled_reason"].clone(),
                r.json["failing_since"].clone()
            ),
            (Value::Null, Value::Null, Value::Null)
        );
    }
);

on_both!(
    a_rolled_secret_signs_with_both_for_a_day,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let (endpoint, old) = add_endpoint(&app, &ann, &receiver, json!(["key.created"])).await;
        let r = app
            .call("webhooks.roll_secret", json!({"id": endpoint}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let new = r.json["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        receiver.control(json!({"secrets": [old, new]})).await;
        app.create_key(&ann, json!({"name": "During"})).await;
        let log = receiver.wait_for(1).await;
        assert_eq!(log[0]["verifiedBy"], json!([0, 1]), "{log:#?}");
        assert_eq!(log[0]["signature"].as_str().unwrap().split(' ').count(), 2);

        app.clock.advance_secs(24 * 3600 + 1);
        let ann = relogin(&app).await;
        app.create_key(&ann, json!({"name": "After"})).await;
        let log = receiver.wait_for(2).await;
        assert_eq!(
            log[1]["verifiedBy"],
            json!([1]),
            "only the new secret after a day"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_each_message_once() {
    let mut options = Options::default();
    options.settings.webhooks.poll_interval = Duration::from_millis(20);
    let a = TestApp::with(Backend::Postgres, options).await;
    let mut options = Options::default();
    options.settings.webhooks.poll_interval = Duration::from_millis(20);
    let b = a.replica(options).await;
    let ann = Caller::Admin(a.setup_admin().await);
    let receiver = Receiver::start();
    let (_, _) = add_endpoint(&a, &ann, &receiver, json!(["key.created"])).await;
    receiver.control(json!({"delayMs": 30})).await;
    // Keys made on both replicas: both workers find work, and compete for it.
    let mut keys = BTreeSet::new();
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        keys.insert(
            app.create_key(&ann, json!({"name": format!("k{i}")}))
                .await
                .0,
        );
    }
    let log = receiver.wait_for(30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = if receiver.log().await.len() > log.len() {
        receiver.log().await
    } else {
        log
    };
    assert_eq!(log.len(), 30, "each message exactly once: {log:#?}");
    let delivered: BTreeSet<String> = log
        .iter()
        .map(|e| e["payload"]["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, keys);
    assert!(log.iter().all(|e| e["verifiedBy"] == json!([0])));
}

on_both!(
    expiry_events_come_once_per_key_and_threshold,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        add_endpoint(
            &app,
            &ann,
            &receiver,
            json!(["key.expiring", "key.expired"]),
        )
        .await;
        let at = |hours: i64| (app.clock.now() + chrono::Duration::hours(hours)).to_rfc3339();
        let (in_3_days, _) = app
            .create_key(&ann, json!({"name": "3 days", "expires_at": at(72)}))
            .await;
        let (in_12_hours, _) = app
            .create_key(&ann, json!({"name": "12 hours", "expires_at": at(12)}))
            .await;
        app.create_key(&ann, json!({"name": "30 days", "expires_at": at(720)}))
            .await;
        app.create_key(&ann, json!({"name": "never"})).await;
        let replica = if backend == Backend::Postgres {
            Some(app.replica(Options::default()).await)
        } else {
            None
        };
        let scan = |now: i64| {
            let db_a = app.conn.clone();
            let db_b = replica.as_ref().map(|r| r.conn.clone());
            async move {
                // Two replicas scanning at once produce each event once.
                let (x, y) = tokio::join!(app::server::webhooks::expiry::scan(&db_a, now), async {
                    match db_b {
                        Some(db) => app::server::webhooks::expiry::scan(&db, now).await,
                        None => Ok(0),
                    }
                });
                x.unwrap() + y.unwrap()
            }
        };
        assert_eq!(scan(app.clock.now_ms()).await, 2);
        assert_eq!(scan(app.clock.now_ms()).await, 0, "once");
        app.state.webhooks.wake();
        let log = receiver.wait_for(2).await;
        let seen = |log: &[Value]| -> BTreeSet<(String, String)> {
            log.iter()
                .map(|e| {
                    (
                        e["type"].as_str().unwrap().to_owned(),
                        e["payload"]["data"]["id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        assert_eq!(
            seen(&log),
            BTreeSet::from([
                ("key.expiring".to_owned(), in_3_days.clone()),
                ("key.expiring".to_owned(), in_12_hours.clone())
            ])
        );

        // 13 hours later the 12-hour key has expired; 40 hours more and the 3-day key is
        // within a day of its end.
        app.clock.advance_secs(13 * 3600);
        assert_eq!(scan(app.clock.now_ms()).await, 1);
        assert_eq!(scan(app.clock.now_ms()).await, 0);
        app.clock.advance_secs(40 * 3600);
        assert_eq!(scan(app.clock.now_ms()).await, 1);
        assert_eq!(scan(app.clock.now_ms()).await, 0);
        app.state.webhooks.wake();
        let log = receiver.wait_for(4).await;
        assert_eq!(
            seen(&log[2..]),
            BTreeSet::from([
                ("key.expiring".to_owned(), in_3_days.clone()),
                ("key.expired".to_owned(), in_12_hours.clone())
            ])
        );
        let expired = log.iter().find(|e| e["type"] == "key.expired").unwrap();
        assert_eq!(expired["payload"]["data"]["status"], "expired");
        assert!(log.iter().all(|e| e["verifiedBy"] == json!([0])));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(receiver.log().await.len(), 4);
    }
);

on_both!(
    a_bulk_delete_of_500_keys_sends_500_events,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let receiver = Receiver::start();
        let mut ids = BTreeSet::new();
        for i in 0..500 {
            ids.insert(
                app.create_key(&ann, json!({"name": format!("k{i}")}))
                    .await
                    .0,
            );
        }
        add_endpoint(&app, &ann, &receiver, json!(["key.deleted"])).await;
        // A change that rolls back sends nothing: one unknown id and nothing is deleted.
        let mut with_unknown: Vec<String> = ids.iter().take(10).cloned().collect();
        with_unknown.push("0193aaaa-0000-7000-8000-000000000000".into());
        let r = app
            .call("keys.bulk_delete", json!({"ids": with_unknown}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        app.state.webhooks.wake();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(receiver.log().await.is_empty());
        let r = app
            .call("keys.bulk_delete", json!({"ids": ids}), &ann)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let log = receiver.wait_for(500).await;
        let deleted: BTreeSet<String> = log
            .iter()
            .map(|e| e["payload"]["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(deleted, ids);
        assert!(log
            .iter()
            .all(|e| e["type"] == "key.deleted" && e["verifiedBy"] == json!([0])));
    }
);

/// SIGKILL while a delivery is in flight (after the commit, before the receiver answered):
/// after a restart the event is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_survives_a_kill_between_commit_and_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = process::sqlite_url(dir.path());
    let env = [
        ("LS_ALLOW_PRIVATE_WEBHOOKS", "true"),
        ("LS_ALLOW_INSECURE_WEBHOOKS", "true"),
        ("LS_WEBHOOK_TIMEOUT_SECS", "1"),
    ];
    let server = process::start(dir.path(), &url, &env).await;
    let cookie = server.setup().await;
    let receiver = Receiver::start();
    let (status, body) = server
        .api(
            "webhooks.create",
            json!({"url": format!("{}/hooks", receiver.base), "events": ["key.created"]}),
            &cookie,
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    receiver
        .control(json!({"secrets": [body["secret"]], "hang": true}))
        .await;
    let (status, body) = server
        .api("keys.create", json!({"name": "Shop"}), &cookie)
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the change does not wait for the delivery: {body}"
    );
    let key_id = body["key"]["id"].as_str().unwrap().to_owned();
    // The request is at the receiver, unanswered: kill the server now.
    receiver.wait_for(1).await;
    server.signal("KILL");
    assert!(!server.wait().success());
    receiver.control(json!({"hang": false})).await;

    let _again = process::start(dir.path(), &url, &env).await;
    let log = receiver.wait_for(2).await;
    assert_eq!(log[1]["id"], log[0]["id"], "the same message");
    assert_eq!(log[1]["payload"]["data"]["id"], key_id.as_str());
    assert_eq!(log[1]["verifiedBy"], json!([0]));
    assert_eq!(log[1]["answered"], 200);
}

on_both!(
    a_dead_receiver_does_not_hold_up_the_others,
    |backend| async move {
        let mut options = Options::default();
        options.settings.webhooks.timeout = Duration::from_secs(10);
        let app = TestApp::with(backend, options).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let dead = Receiver::start();
        let live = Receiver::start();
        add_endpoint(&app, &ann, &dead, json!(["key.created"])).await;
        add_endpoint(&app, &ann, &live, json!(["key.created"])).await;
        dead.control(json!({"hang": true})).await;
        for i in 0..12 {
            app.create_key(&ann, json!({"name": format!("k{i}")})).await;
        }
        // Every event reaches the live receiver while the dead one holds two requests at most.
        let log = live.wait_for(12).await;
        assert!(log.iter().all(|e| e["verifiedBy"] == json!([0])));
        let held = dead.log().await.len();
        assert!(
            (1..=2).contains(&held),
            "{held} requests to the dead receiver at once"
        );
    }
);

//! Leaked-key reports in GitHub's secret-scanning partner format, signed with ECDSA P-256: a
//! signed report stops a live key within the request, on every replica; anything unsigned or
//! badly signed changes nothing; admins can report a key too.

use std::{sync::Arc, time::Duration};

use app::server::{scanning::ScanningKeys, state::Settings};
use axum::body::Body;
use base64::Engine;
use http::{Request, StatusCode};
use p256::{
    ecdsa::{signature::Signer, Signature, SigningKey},
    pkcs8::{EncodePublicKey, LineEnding},
};
use serde_json::{json, Value};

use crate::{
    common::{Backend, Caller, Options, Reply, TestApp},
    on_both,
};
use app::server::clock::Clock;

const PATH: &str = "/api/v1/secret_scanning.report";

/// A key pair the test makes, and the public-keys document a partner would serve for it.
struct Partner {
    id: String,
    signing: SigningKey,
}

impl Partner {
    fn new(id: &str) -> Self {
        let signing = loop {
            if let Ok(k) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                break k;
            }
        };
        Self {
            id: id.into(),
            signing,
        }
    }

    fn keys_document(partners: &[&Partner]) -> String {
        let keys: Vec<Value> = partners
            .iter()
            .map(|p| {
                json!({
                    "key_identifier": p.id,
                    "key": p.signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                    "is_current": true,
                })
            })
            .collect();
        json!({"public_keys": keys}).to_string()
    }

    fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.signing.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }
}

fn options(partners: &[&Partner]) -> Options {
    let keys = ScanningKeys::parse(&Partner::keys_document(partners)).unwrap();
    let mut options = Options::default();
    options.settings = Settings {
        scanning_keys: Some(Arc::new(keys)),
        ..options.settings
    };
    options
}

async fn post(app: &TestApp, body: &str, headers: &[(&str, String)]) -> Reply {
    let mut req = Request::post(PATH)
        .header("content-type", "application/json")
        .header("host", "keys.test");
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    app.send(req.body(Body::from(body.to_owned())).unwrap())
        .await
}

fn signed(partner: &Partner, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("github-public-key-identifier", partner.id.clone()),
        ("github-public-key-signature", partner.sign(body.as_bytes())),
    ]
}

fn report(tokens: &[&str]) -> String {
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"token": t, "type": "licenseshipper_api_key", "url": "https://github.com/acme/shop/blob/abc/config.php", "source": "content"}))
        .collect();
    serde_json::to_string(&items).unwrap()
}

on_both!(
    a_signed_report_stops_a_live_key_and_a_bad_one_changes_nothing,
    |backend| async move {
        let github =
            Partner::new("90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a");
        let app = TestApp::with(backend, options(&[&github])).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, secret) = app.create_key(&admin, json!({"name": "Woo"})).await;
        let (other_id, other) = app.create_key(&admin, json!({"name": "Shopify"})).await;
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await
                .status,
            StatusCode::OK
        );

        // A well-formed token with a wrong checksum, and one that was never issued.
        let mut bad_checksum = secret.clone();
        let last = bad_checksum.pop().unwrap();
        bad_checksum.push(if last == 'A' { 'B' } else { 'A' });
        let (gone_id, never) = app.create_key(&admin, json!({"name": "gone"})).await;
        app.call("keys.delete", json!({"id": gone_id}), &admin)
            .await;
        let body = report(&[&secret, &bad_checksum, &never, "ghp_not_ours"]);

        // Unsigned, signed by an unknown key, or signed over other bytes: 401, nothing changes.
        let stranger = Partner::new("unknown");
        let mut tampered = signed(&github, &body);
        tampered[1].1 = github.sign(report(&[&other]).as_bytes());
        for headers in [
            vec![],
            vec![("github-public-key-identifier", github.id.clone())],
            signed(&stranger, &body),
            vec![
                ("github-public-key-identifier", github.id.clone()),
                (
                    "github-public-key-signature",
                    stranger.sign(body.as_bytes()),
                ),
            ],
            tampered,
            vec![
                ("github-public-key-identifier", github.id.clone()),
                ("github-public-key-signature", "bm90IGEgc2lnbmF0dXJl".into()),
            ],
        ] {
            let r = post(&app, &body, &headers).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
            assert_eq!(r.code(), "invalid_signature");
            assert_eq!(
                app.call("whoami", json!({}), &Caller::Key(secret.clone()))
                    .await
                    .status,
                StatusCode::OK
            );
        }

        assert!(app.call("keys.get", json!({"id": id}), &admin).await.json["leaked_at"].is_null());
        let r = app
            .call("audit.list", json!({"action": "key.leaked"}), &admin)
            .await;
        assert_eq!(r.json.as_array().unwrap().len(), 0, "{}", r.text);

        // Signed: the verdicts, in order; the live key is disabled within the request.
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let labels: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "true_positive",
                "false_positive",
                "false_positive",
                "false_positive"
            ]
        );
        assert_eq!(r.json[0]["token_raw"], secret.as_str());
        assert_eq!(r.json[0]["token_type"], "licenseshipper_api_key");
        let r = app
            .call("whoami", json!({}), &Caller::Key(secret.clone()))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "key_disabled")
        );
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(other.clone()))
                .await
                .status,
            StatusCode::OK
        );

        // The key shows where it was found; the audit log has it with the URL and source.
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["status"], "disabled");
        assert_eq!(
            item["leaked_url"],
            "https://github.com/acme/shop/blob/abc/config.php"
        );
        assert!(item["leaked_at"].is_string());
        let r = app
            .call("audit.list", json!({"action": "key.leaked"}), &admin)
            .await;
        assert_eq!(r.json[0]["key_id"], id.as_str());
        assert_eq!(r.json[0]["detail"]["source"], "content");
        assert_eq!(r.json[0]["detail"]["response"], "disabled");
        assert_eq!(
            app.call("keys.get", json!({"id": other_id}), &admin)
                .await
                .json["leaked_at"],
            Value::Null
        );

        // The same report again (partners resend for every new commit): nothing more happens.
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.json[0]["label"], "true_positive");
        let r = app
            .call("audit.list", json!({"action": "key.leaked"}), &admin)
            .await;
        assert_eq!(r.json.as_array().unwrap().len(), 1, "{}", r.text);

        // A leaked key cannot be enabled until it has a new secret; regenerating it allows no
        // grace for the leaked one, and clears the mark.
        let r = app.call("keys.enable", json!({"id": id}), &admin).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(r.text.contains("leaked"), "{}", r.text);
        let r = app
            .call(
                "keys.roll",
                json!({"id": id, "grace_seconds": 3600}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.json["key"]["leaked_at"].is_null());
        assert!(
            r.json["key"]["previous_secret_expires_at"].is_null(),
            "{}",
            r.text
        );
        let fresh = r.json["secret"].as_str().unwrap().to_owned();
        assert_eq!(
            app.call("keys.enable", json!({"id": id}), &admin)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(fresh))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        // Too many tokens in one report: 422, nothing read.
        let many = report(&vec![
            other.as_str();
            app::server::scanning::MAX_REPORT_TOKENS + 1
        ]);
        let r = post(&app, &many, &signed(&github, &many)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(other.clone()))
                .await
                .status,
            StatusCode::OK
        );

        // Not a JSON array: 400, nothing changes.
        let junk = "{\"token\": 1}";
        let r = post(&app, junk, &signed(&github, junk)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
);

on_both!(
    a_leaked_previous_secret_only_loses_its_grace,
    |backend| async move {
        let github = Partner::new("k1");
        let app = TestApp::with(backend, options(&[&github])).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, old) = app.create_key(&admin, json!({"name": "Woo"})).await;
        let r = app
            .call(
                "keys.roll",
                json!({"id": id, "grace_seconds": 3600}),
                &admin,
            )
            .await;
        let current = r.json["secret"].as_str().unwrap().to_owned();
        // During the grace: the old secret leaked; it stops, the current one goes on.
        let body = report(&[&old]);
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.json[0]["label"], "true_positive", "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(old.clone()))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(current.clone()))
                .await
                .status,
            StatusCode::OK
        );
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(
            (item["status"].as_str(), item["leaked_at"].is_null()),
            (Some("active"), true)
        );
        // After a grace that ran out, an old secret opens nothing and leaks nothing.
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 60}), &admin)
            .await;
        let newest = r.json["secret"].as_str().unwrap().to_owned();
        app.clock.advance_secs(61);
        let body = report(&[&current]);
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.json[0]["label"], "false_positive", "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(newest))
                .await
                .status,
            StatusCode::OK
        );
    }
);

on_both!(
    the_policy_may_roll_a_leaked_key_instead_and_admins_may_report_one,
    |backend| async move {
        let github = Partner::new("k1");
        let app = TestApp::with(backend, options(&[&github])).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let r = app
            .call(
                "settings.update",
                json!({"leak_response": "roll", "max_lifetime_days": 30}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .call("settings.update", json!({"default_expiry_days": 7}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let (id, secret) = app.create_key(&admin, json!({"name": "Woo"})).await;
        let (hash_only, hash_secret) = app
            .create_key(&admin, json!({"name": "Hash only", "recoverable": false}))
            .await;
        // A roll with a grace: both secrets work until the current one leaks.
        let r = app
            .call(
                "keys.roll",
                json!({"id": id, "grace_seconds": 3600}),
                &admin,
            )
            .await;
        let current = r.json["secret"].as_str().unwrap().to_owned();
        // The same token found twice in one report: both copies are true positives.
        let body = report(&[&current, &hash_secret, &current]);
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.json[0]["label"], "true_positive", "{}", r.text);
        assert_eq!(r.json[2]["label"], "true_positive", "{}", r.text);
        // The leaked current secret and the previous one both stop; the key stays enabled with a
        // new secret only an admin can reveal.
        for old in [&secret, &current] {
            let r = app
                .call("whoami", json!({}), &Caller::Key(old.clone()))
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        }
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["status"], "active");
        let revealed = app
            .call("keys.reveal", json!({"id": id}), &admin)
            .await
            .json["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(revealed))
                .await
                .status,
            StatusCode::OK
        );
        // A key whose new secret no one could read is disabled instead.
        assert_eq!(
            app.call("keys.get", json!({"id": hash_only}), &admin)
                .await
                .json["status"],
            "disabled"
        );
        // Each partial change of the policy left the rest as it was.
        let policy = app.call("settings.get", json!({}), &admin).await.json;
        assert_eq!(
            (
                policy["max_lifetime_days"].clone(),
                policy["default_expiry_days"].clone(),
                policy["leak_response"].clone()
            ),
            (json!(30), json!(7), json!("roll"))
        );

        // An admin reports a key by hand (a viewer may not); a URL too long is refused.
        let (id2, secret2) = app
            .create_key(&admin, json!({"name": "Pasted in chat"}))
            .await;
        let r = app
            .call(
                "keys.report_leaked",
                json!({"id": id2, "url": "x".repeat(3000)}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret2.clone()))
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .call(
                "keys.report_leaked",
                json!({"id": id2, "url": "Slack #support"}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // Under `roll` the live key gets a new secret and no mark; the sighting is logged.
        assert_eq!(
            (r.json["status"].as_str(), r.json["leaked_url"].is_null()),
            (Some("active"), true)
        );
        let r = app
            .call(
                "audit.list",
                json!({"key_id": id2, "action": "key.leaked"}),
                &admin,
            )
            .await;
        assert_eq!(r.json[0]["detail"]["url"], "Slack #support", "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret2))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
);

#[tokio::test]
async fn without_a_keys_file_the_endpoint_is_not_there() {
    let app = TestApp::new(Backend::Sqlite).await;
    let r = post(&app, "[]", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_key_fails_on_every_replica_within_a_second() {
    let github = Partner::new("k1");
    let a = TestApp::with(Backend::Postgres, options(&[&github])).await;
    let b = a.replica(options(&[&github])).await;
    let admin = Caller::Admin(a.setup_admin().await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, secret) = a.create_key(&admin, json!({"name": "Woo"})).await;
    for _ in 0..3 {
        assert_eq!(
            b.call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await
                .status,
            StatusCode::OK
        );
    }
    assert!(!b.state.keys.cache().is_empty(), "B cached the key");
    let body = report(&[&secret]);
    let r = post(&a, &body, &signed(&github, &body)).await;
    assert_eq!(r.json[0]["label"], "true_positive");
    let started = std::time::Instant::now();
    while b
        .call("whoami", json!({}), &Caller::Key(secret.clone()))
        .await
        .status
        == StatusCode::OK
    {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "replica B still accepts the leaked key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_keys_file_that_is_not_in_githubs_shape_is_refused_with_a_reason() {
    for (text, says) in [
        ("{}", "not a public-keys document"),
        ("{\"public_keys\": []}", "no public keys"),
        ("{\"public_keys\": [{\"key_identifier\": \"a\", \"key\": \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"}]}", "not a P-256 public key"),
    ] {
        let err = ScanningKeys::parse(text).unwrap_err();
        assert!(err.contains(says), "{err}");
    }
}

#[tokio::test]
async fn refused_reports_are_throttled_per_address_apart_from_keys() {
    let github = Partner::new("k1");
    let app = TestApp::with(Backend::Sqlite, options(&[&github])).await;
    let admin = Caller::Admin(app.setup_admin().await);
    let (_, secret) = app.create_key(&admin, json!({"name": "Woo"})).await;
    let from = ("x-forwarded-for", "192.0.2.10".to_owned());
    let body = report(&[&secret]);
    let mut forged = signed(&Partner::new("k1"), &body);
    forged.push(from.clone());
    let limit = Options::default().settings.failed_auth_per_minute as usize;
    for _ in 0..limit {
        assert_eq!(
            post(&app, &body, &forged).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = post(&app, &body, &forged).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    // Keys used from that address are not held back by it, good or bad.
    assert_eq!(
        app.call("whoami", json!({}), &Caller::Key(secret.clone()))
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .call("whoami", json!({}), &Caller::Key("lsk_short".into()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    // And the key was never touched.
    assert_eq!(
        app.call("keys.list", json!({"filter": "disabled"}), &admin)
            .await
            .json["total"],
        0
    );
}

on_both!(
    a_leaked_key_stays_off_whatever_is_changed_and_a_rolled_one_is_unmarked,
    |backend| async move {
        let github = Partner::new("k1");
        let app = TestApp::with(backend, options(&[&github])).await;
        let admin = Caller::Admin(app.setup_admin().await);
        // Expired when its secret is found: still disabled, so a later expiry cannot revive it.
        let soon = (app.clock.now() + chrono::Duration::seconds(30)).to_rfc3339();
        let (id, secret) = app
            .create_key(&admin, json!({"name": "Old", "expires_at": soon}))
            .await;
        app.clock.advance_secs(31);
        let body = report(&[&secret]);
        let r = post(&app, &body, &signed(&github, &body)).await;
        assert_eq!(r.json[0]["label"], "true_positive", "{}", r.text);
        let later = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
        let r = app
            .call(
                "keys.update",
                json!({"id": id, "expires_at": later}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call("keys.enable", json!({"id": id}), &admin)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // Under `roll`, a key made before the policy (never expiring) is rolled within the
        // policy's lifetime, keeps working with its new secret, and carries no mark: later
        // rolls keep their grace.
        let (id, secret) = app.create_key(&admin, json!({"name": "Forever"})).await;
        let r = app
            .call(
                "settings.update",
                json!({"leak_response": "roll", "max_lifetime_days": 30}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let body = report(&[&secret]);
        post(&app, &body, &signed(&github, &body)).await;
        let item = app.call("keys.get", json!({"id": id}), &admin).await.json;
        assert_eq!(item["status"], "active");
        assert!(item["leaked_at"].is_null(), "{item}");
        let expires =
            chrono::DateTime::parse_from_rfc3339(item["expires_at"].as_str().unwrap()).unwrap();
        assert!(
            expires.timestamp_millis() <= app.clock.now_ms() + 30 * 86_400_000,
            "{item}"
        );
        let r = app
            .call("keys.roll", json!({"id": id, "grace_seconds": 600}), &admin)
            .await;
        assert!(
            r.json["key"]["previous_secret_expires_at"].is_string(),
            "{}",
            r.text
        );
        let r = app
            .call(
                "audit.list",
                json!({"key_id": id, "action": "key.leaked"}),
                &admin,
            )
            .await;
        assert_eq!(r.json[0]["detail"]["response"], "rolled");
    }
);

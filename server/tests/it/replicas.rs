//! Two real `licenseshipper serve` processes on one PostgreSQL database.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::json;

use crate::{
    common::{Backend, TestDb},
    process,
};

async fn whoami(p: &process::Proc, key: String) -> StatusCode {
    let auth = format!("Bearer {key}");
    p.request(
        Method::POST,
        "/api/v1/whoami",
        "",
        &[("authorization", &auth)],
    )
    .await
    .unwrap()
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_keys_sessions_usage_and_revocations() {
    let db = TestDb::new(Backend::Postgres).await;
    let master = app::server::vault::MasterKey::generate_base64();
    let env = [
        ("LS_MASTER_KEY", master.as_str()),
        ("LS_USAGE_FLUSH_MS", "100"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = process::start(dir_a.path(), &db.url, &env).await;
    let b = process::start(dir_b.path(), &db.url, &env).await;
    let cookie = a.setup().await;
    // Logged in through A, logged in on B.
    let (status, info) = b.api("auth.session", json!({}), &cookie).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["user"]["name"], "Ops");

    // Created on A, works on B; uses on both add up.
    let (_, created) = a
        .api("keys.create", json!({"name": "shop"}), &cookie)
        .await
        .unwrap();
    let (id, key) = (
        created["key"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    );
    for _ in 0..3 {
        assert_eq!(whoami(&b, key.clone()).await, StatusCode::OK);
        assert_eq!(whoami(&a, key.clone()).await, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, item) = a.api("keys.get", json!({"id": id}), &cookie).await.unwrap();
    assert_eq!(item["usage_count"], 6);

    // Deleted on B: A (which has the key cached) rejects it within a second.
    let (status, _) = b
        .api("keys.delete", json!({"id": id}), &cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    while whoami(&a, key.clone()).await != StatusCode::UNAUTHORIZED {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "replica A still accepts a deleted key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A logout on B ends the session on A too.
    let (status, _) = b.api("auth.logout", json!({}), &cookie).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a.api("keys.list", json!({}), &cookie).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

//! Crash safety and graceful shutdown of a real server process (SQLite).

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use http::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::process;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let (url, db_path) = process::sqlite_url(dir.path());
    let server = Arc::new(process::start(dir.path(), &url, &[]).await);
    let cookie = server.setup().await;
    let created = Arc::new(Mutex::new(BTreeSet::new()));
    let deleted = Arc::new(Mutex::new(BTreeSet::new()));
    // Deletes cut off by the kill: applied or not, nobody was told, so either outcome is right.
    let unanswered = Arc::new(Mutex::new(BTreeSet::new()));
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (server, cookie, created, deleted, unanswered) = (
                server.clone(),
                cookie.clone(),
                created.clone(),
                deleted.clone(),
                unanswered.clone(),
            );
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for i in 0.. {
                    let Ok((status, body)) = server
                        .api("keys.create", json!({"name": format!("w{w}-{i}")}), &cookie)
                        .await
                    else {
                        break;
                    };
                    if status == StatusCode::OK {
                        let id = body["key"]["id"].as_str().unwrap().to_owned();
                        created.lock().unwrap().insert(id.clone());
                        mine.push(id);
                    }
                    if i % 2 == 1 {
                        let id = mine.remove(0);
                        match server.api("keys.delete", json!({"id": id}), &cookie).await {
                            Ok((StatusCode::OK, _)) => {
                                deleted.lock().unwrap().insert(id);
                            }
                            Ok(_) => {}
                            Err(_) => {
                                unanswered.lock().unwrap().insert(id);
                                break;
                            }
                        }
                    }
                    if Instant::now() > stop_at + Duration::from_secs(5) {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep_until(stop_at.into()).await;
    server.signal("KILL");
    for w in workers {
        w.await.unwrap();
    }
    let server = Arc::try_unwrap(server).ok().expect("workers are done");
    assert!(!server.wait().success(), "killed");
    let (created, deleted, unanswered) = (
        created.lock().unwrap().clone(),
        deleted.lock().unwrap().clone(),
        unanswered.lock().unwrap().clone(),
    );
    assert!(created.len() > 20, "load ran: {} creates", created.len());

    let again = process::start(dir.path(), &url, &[]).await;
    let present = again.all_key_ids(&cookie).await;
    let lost: Vec<_> = created
        .difference(&deleted)
        .filter(|id| !present.contains(*id) && !unanswered.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged creates are missing: {lost:?}",
        lost.len()
    );
    let resurrected: Vec<_> = deleted.intersection(&present).collect();
    assert!(
        resurrected.is_empty(),
        "acknowledged deletes came back: {resurrected:?}"
    );
    drop(again);

    let conn = app::server::db::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_requests_and_flushes_usage() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = process::sqlite_url(dir.path());
    // Usage would only be written after a minute: what the test sees comes from the shutdown flush.
    let server =
        Arc::new(process::start(dir.path(), &url, &[("LS_USAGE_FLUSH_MS", "60000")]).await);
    let cookie = server.setup().await;
    let (_, body) = server
        .api("keys.create", json!({"name": "busy"}), &cookie)
        .await
        .unwrap();
    let id = body["key"]["id"].as_str().unwrap().to_owned();
    let key = body["secret"].as_str().unwrap().to_owned();
    for _ in 0..25 {
        let (status, _, _) = server
            .request(
                http::Method::POST,
                "/api/v1/whoami",
                "",
                &[("authorization", &format!("Bearer {key}"))],
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
    }
    let last_call = chrono::Utc::now();

    // Slow requests (password hashing) in flight when SIGTERM arrives (fewer than the five
    // attempts one account may have open from one address).
    let logins: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                let body = json!({"email": "ops@example.com", "password": crate::common::PASSWORD})
                    .to_string();
                server
                    .request(
                        http::Method::POST,
                        "/api/v1/auth.login",
                        &body,
                        &[("content-type", "application/json")],
                    )
                    .await
                    .map(|r| r.0)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(15)).await;
    server.signal("TERM");
    for login in logins {
        assert_eq!(
            login.await.unwrap(),
            Ok(StatusCode::OK),
            "an in-flight request was cut off"
        );
    }
    let server = Arc::try_unwrap(server).ok().expect("requests are done");
    assert!(server.wait().success(), "clean exit on SIGTERM");

    let again = process::start(dir.path(), &url, &[]).await;
    let (status, item) = again
        .api("keys.get", json!({"id": id}), &cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        item["usage_count"], 25,
        "the buffered uses were flushed on shutdown"
    );
    let last_used: chrono::DateTime<chrono::Utc> =
        item["last_used_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (last_call - last_used).num_milliseconds().abs() < 2000,
        "last used {last_used} vs {last_call}"
    );
    // The served connection's peer address reached the gate.
    assert_eq!(item["last_used_ip"], "127.0.0.1");
}

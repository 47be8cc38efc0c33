//! Reads never wait on writes (SQLite): writers wait for their turn at the database's one write
//! lock without holding a pooled connection, so reads find one however many writes wait. The
//! turn belongs to the database file: two pools on one file (replicas here) share it.

use app::server::{
    db::{self, SQLITE_CONNECTIONS, WRITE_WAIT},
    entities::api_keys,
};
use http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use std::{sync::Arc, time::Duration};

use crate::common::{Backend, Caller, Options, TestApp};

/// Two writers for every pooled connection: before write turns, the first ones took every
/// connection while they waited in SQLite's busy handler.
const WRITERS: u32 = 2 * SQLITE_CONNECTIONS;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_answered_while_a_burst_of_writes_waits_for_the_lock() {
    let app = Arc::new(TestApp::new(Backend::Sqlite).await);
    let replica = Arc::new(app.replica(Options::default()).await);
    let admin = Caller::Admin(app.setup_admin().await);
    let (id, secret) = app.create_key(&admin, json!({"name": "probe"})).await;
    let keys_before = api_keys::Entity::find().count(&app.conn).await.unwrap();

    // A writer in the middle of its transaction (BEGIN IMMEDIATE) holds the write lock.
    let holder = db::begin_write(&app.conn).await.unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            // Half of them through the other pool on the same file.
            let app = if i % 2 == 0 { &app } else { &replica }.clone();
            let admin = admin.clone();
            tokio::spawn(async move {
                let body = json!({"name": format!("writer {i}")});
                app.call("keys.create", body, &admin).await
            })
        })
        .collect();
    // Every writer is waiting for its turn, well before the first would give up.
    let deadline = tokio::time::Instant::now() + WRITE_WAIT / 5;
    while db::writes_waiting(&app.conn) < WRITERS as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "writers not waiting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Reads by an admin (session and key rows; the session due for its last-seen touch, which
    // is left for later) and by a key with a cold cache, on both pools, all answered while the
    // lock is still held: none waits for a connection a writer holds, nor for a turn.
    app.clock.advance_secs(120);
    replica.clock.advance_secs(120);
    let got = app.call("keys.get", json!({"id": id}), &admin).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.json["name"], "probe");
    let listed = replica.call("keys.list", json!({}), &admin).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.json["total"], keys_before);
    replica.state.keys.cache().clear();
    let me = replica
        .call("whoami", json!({}), &Caller::Key(secret))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert!(
        writers.iter().all(|w| !w.is_finished()),
        "every writer still waits for its turn after the reads"
    );

    // Then the writers have their turns, one at a time, and every one succeeds.
    holder.commit().await.unwrap();
    for writer in writers {
        let r = writer.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let keys_after = api_keys::Entity::find().count(&app.conn).await.unwrap();
    assert_eq!(keys_after, keys_before + u64::from(WRITERS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_waits_too_long_fails_plainly_and_stores_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let admin = Caller::Admin(app.setup_admin().await);
    let holder = db::begin_write(&app.conn).await.unwrap();
    let r = app
        .call("keys.create", json!({"name": "late"}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    assert_eq!(r.code(), "internal", "a plain message: {}", r.text);
    holder.rollback().await.unwrap();
    let listed = app.call("keys.list", json!({}), &admin).await;
    assert_eq!(listed.json["total"], 0, "{}", listed.text);
    // The turn passes on with the transaction: the next write goes through.
    app.create_key(&admin, json!({"name": "next"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_over_its_limit_is_refused_without_waiting_for_a_write() {
    use app::server::accounts::throttle::MAX_PER_ACCOUNT_AND_ADDRESS;
    let app = TestApp::new(Backend::Sqlite).await;
    app.setup_admin().await;
    let guesser = Caller::FromIp("198.51.100.7".into());
    let guess = || {
        let body = json!({"email": "ann@example.com", "password": "a wrong guess"});
        app.call("auth.login", body, &guesser)
    };
    for _ in 0..MAX_PER_ACCOUNT_AND_ADDRESS {
        assert_eq!(guess().await.status, StatusCode::UNAUTHORIZED);
    }
    // While another writer holds the lock, a flood of refused guesses is refused by a read: it
    // neither queues for the lock nor fails for want of it.
    let holder = db::begin_write(&app.conn).await.unwrap();
    let r = guess().await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    holder.rollback().await.unwrap();
}

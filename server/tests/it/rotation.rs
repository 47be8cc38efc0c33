//! Master-key rotation that never bricks a deployment: a keyring of current and previous keys,
//! a resumable compare-and-set rotation, and the replica-safe procedure, with real processes.

use std::{
    collections::BTreeMap,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::Arc,
    time::Duration,
};

use app::{
    api::types::NewKey,
    server::{
        audit::Actor,
        clock::SystemClock,
        db,
        entities::api_keys,
        state::Settings,
        vault::{Keyring, MasterKey},
        AppState,
    },
};
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::{
    common::{Backend, TestApp, TestDb},
    on_both,
    process::{self, Proc},
};

/// A fresh master key in a 0600 file; answers (path, key id).
fn key_file(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let b64 = MasterKey::generate_base64();
    std::fs::write(&path, format!("{b64}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let id = MasterKey::from_base64(&b64).unwrap().id().to_owned();
    (path, id)
}

fn previous(paths: &[&Path]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn rotate_command(db_url: &str, current: &Path, prev: &[&Path], new: &Path, batch: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_licenseshipper"));
    cmd.args(["rotate-master-key", "--new-key-file"])
        .arg(new)
        .args(["--batch-size", &batch.to_string()])
        .env_remove("LS_MASTER_KEY")
        .env("DATABASE_URL", db_url)
        .env("LS_MASTER_KEY_FILE", current)
        .env("LS_PREVIOUS_MASTER_KEY_FILE", previous(prev))
        .env("LS_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn rotate(db_url: &str, current: &Path, prev: &[&Path], new: &Path) -> Output {
    let out = rotate_command(db_url, current, prev, new, 50)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rotation failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn start(dir: &Path, db_url: &str, current: &Path, prev: &[&Path]) -> Proc {
    let current = current.display().to_string();
    let prev = previous(prev);
    process::start(
        dir,
        db_url,
        &[
            ("LS_MASTER_KEY_FILE", current.as_str()),
            ("LS_PREVIOUS_MASTER_KEY_FILE", prev.as_str()),
        ],
    )
    .await
}

async fn stop(p: Proc) {
    p.signal("TERM");
    let status = tokio::task::spawn_blocking(move || p.wait()).await.unwrap();
    assert!(status.success(), "{status}");
}

async fn reveal(p: &Proc, cookie: &str, id: &str) -> String {
    let (status, body) = p
        .api("keys.reveal", json!({"id": id}), cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body["secret"].as_str().unwrap().to_owned()
}

async fn create(p: &Proc, cookie: &str, name: &str) -> (String, String) {
    let (status, body) = p
        .api("keys.create", json!({"name": name}), cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["key"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

on_both!(
    the_documented_procedure_keeps_every_secret_while_a_replica_seals_and_rolls,
    |backend| async move { procedure(backend).await }
);

async fn procedure(backend: Backend) {
    let db = TestDb::new(backend).await;
    let keys = tempfile::tempdir().unwrap();
    let (old, _) = key_file(keys.path(), "old.key");
    let (new, new_id) = key_file(keys.path(), "new.key");
    let dir = tempfile::tempdir().unwrap();
    let replica = start(dir.path(), &db.url, &old, &[]).await;
    let cookie = replica.setup().await;
    let mut secrets = BTreeMap::new();
    for i in 0..150 {
        let (id, secret) = create(&replica, &cookie, &format!("shop {i}")).await;
        secrets.insert(id, secret);
    }

    // Rotate while the replica, still sealing with the old key, creates and rolls keys.
    let rotation = rotate_command(&db.url, &old, &[], &new, 5)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rolled: Vec<String> = secrets.keys().step_by(10).cloned().collect();
    for (i, id) in rolled.iter().enumerate() {
        let (id2, secret) = create(&replica, &cookie, &format!("during {i}")).await;
        secrets.insert(id2, secret);
        let (status, body) = replica
            .api("keys.roll", json!({"id": id}), &cookie)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        secrets.insert(id.clone(), body["secret"].as_str().unwrap().to_owned());
    }
    let out = tokio::task::spawn_blocking(move || rotation.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One more after the rotation, before the replica learns of the new key.
    let (id, secret) = create(&replica, &cookie, "after").await;
    secrets.insert(id, secret);
    stop(replica).await;

    // Every replica restarts with the new key current and the old one previous...
    let replica = start(dir.path(), &db.url, &new, &[&old]).await;
    for (id, secret) in &secrets {
        assert_eq!(&reveal(&replica, &cookie, id).await, secret, "{id}");
    }
    // ...the rotation runs again and finishes what the replica sealed meanwhile...
    let out = rotate(&db.url, &new, &[&old], &new);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("every secret is sealed under {new_id}")),
        "{text}"
    );
    stop(replica).await;

    // ...and the old key can go.
    let replica = start(dir.path(), &db.url, &new, &[]).await;
    for (id, secret) in &secrets {
        assert_eq!(&reveal(&replica, &cookie, id).await, secret, "{id}");
    }
    stop(replica).await;
}

/// Fills a SQLite file with `n` recoverable keys sealed under `key`; answers their secrets.
async fn fill(url: &str, key: &Path, n: usize) -> BTreeMap<String, String> {
    let conn = db::connect(url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let state = AppState::start(
        conn.clone(),
        Keyring::new(MasterKey::load(key).unwrap(), vec![]),
        Arc::new(SystemClock),
        Settings::default(),
    );
    let mut secrets = BTreeMap::new();
    for i in 0..n {
        let (model, secret) = state
            .keys
            .create(&Actor::system("test"), NewKey::named(format!("k{i}")))
            .await
            .unwrap();
        secrets.insert(model.id, secret.expose().to_owned());
    }
    state.shutdown().await;
    conn.close().await.unwrap();
    secrets
}

async fn sealed_under(url: &str, key_id: &str) -> u64 {
    let conn = db::connect(url).await.unwrap();
    let n = api_keys::Entity::find()
        .filter(api_keys::Column::MasterKeyId.eq(key_id))
        .count(&conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    n
}

on_both!(
    a_rotation_killed_midway_leaves_a_startable_server_and_a_rerun_finishes,
    |backend| async move { killed_midway(backend).await }
);

async fn killed_midway(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let (old, old_id) = key_file(dir.path(), "old.key");
    let (new, new_id) = key_file(dir.path(), "new.key");
    let secrets = fill(&url, &old, 3000).await;

    let mut rotation = rotate_command(&url, &old, &[], &new, 10).spawn().unwrap();
    let conn = db::connect(&url).await.unwrap();
    let moved = loop {
        let moved = api_keys::Entity::find()
            .filter(api_keys::Column::MasterKeyId.eq(new_id.as_str()))
            .count(&conn)
            .await
            .unwrap();
        if moved > 0 {
            rotation.kill().unwrap();
            break moved;
        }
        assert!(
            rotation.try_wait().unwrap().is_none(),
            "the rotation ended before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    rotation.wait().unwrap();
    conn.close().await.unwrap();
    let left = sealed_under(&url, &old_id).await;
    assert!(
        moved > 0 && left > 0,
        "killed mid-way: {moved} moved, {left} left"
    );

    // Rows under two keys: the server starts with both configured.
    let site = tempfile::tempdir().unwrap();
    let p = start(site.path(), &url, &new, &[&old]).await;
    stop(p).await;
    // The rerun finishes, and the new key alone serves every secret.
    rotate(&url, &new, &[&old], &new);
    assert_eq!(sealed_under(&url, &old_id).await, 0);
    assert_eq!(sealed_under(&url, &new_id).await, 3000);
    let p = start(site.path(), &url, &new, &[]).await;
    let cookie = p.setup().await;
    for (id, secret) in secrets.iter().step_by(97) {
        assert_eq!(&reveal(&p, &cookie, id).await, secret);
    }
    stop(p).await;
}

on_both!(
    start_up_names_the_keys_no_configured_key_opens,
    |backend| async move { start_up_refusals(backend).await }
);

async fn start_up_refusals(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let (old, old_id) = key_file(dir.path(), "old.key");
    let (other, _) = key_file(dir.path(), "other.key");
    fill(&url, &old, 3).await;
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), "<html></html>").unwrap();
    let serve = |current: &Path| {
        Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
            .args(["serve", "--listen", "127.0.0.1:0", "--site-root"])
            .arg(site.path())
            .env_remove("LS_MASTER_KEY")
            .env_remove("LS_PREVIOUS_MASTER_KEY_FILE")
            .env("DATABASE_URL", &url)
            .env("LS_MASTER_KEY_FILE", current)
            .env("LS_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = serve(&other);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{old_id} (3 secrets)")),
        "{stderr}"
    );

    // A replica without the key file refuses to invent its own.
    let missing = dir.path().join("missing.key");
    let out = serve(&missing);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("copy the master key file"), "{stderr}");
    assert!(stderr.contains(&old_id), "{stderr}");
    assert!(!missing.exists(), "no key file was created");

    // On a brand-new vault the first server's key is recorded before any secret is sealed:
    // a second server without it, or with a key of its own, is refused too.
    let fresh = TestDb::new(backend).await;
    let first_dir = tempfile::tempdir().unwrap();
    let first = process::start(first_dir.path(), &fresh.url, &[]).await;
    let first_id = MasterKey::load(&first_dir.path().join("master.key"))
        .unwrap()
        .id()
        .to_owned();
    let serve_fresh = |current: &Path| {
        Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
            .args(["serve", "--listen", "127.0.0.1:0", "--site-root"])
            .arg(site.path())
            .env_remove("LS_MASTER_KEY")
            .env_remove("LS_PREVIOUS_MASTER_KEY_FILE")
            .env("DATABASE_URL", &fresh.url)
            .env("LS_MASTER_KEY_FILE", current)
            .env("LS_LOG", "warn")
            .output()
            .unwrap()
    };
    for (current, what) in [
        (missing.as_path(), "no key"),
        (other.as_path(), "its own key"),
    ] {
        let out = serve_fresh(current);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "a second server with {what} started");
        assert!(stderr.contains(&first_id), "{what}: {stderr}");
    }
    assert!(!missing.exists());
    stop(first).await;
}

#[test]
fn a_master_key_on_the_command_line_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/keys.db?mode=rwc", dir.path().display());
    let (new, _) = key_file(dir.path(), "new.key");
    let out = Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
        .args(["rotate-master-key", "--master-key"])
        .arg(MasterKey::generate_base64())
        .arg("--new-key-file")
        .arg(&new)
        .env_remove("LS_MASTER_KEY")
        .env("DATABASE_URL", &url)
        .env("LS_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("process list"), "{all}");
}

#[test]
fn new_keys_are_generated_beforehand_and_never_invented_by_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/keys.db?mode=rwc", dir.path().display());
    let (current, _) = key_file(dir.path(), "current.key");
    let typo = dir.path().join("nwe.key");
    let out = rotate_command(&url, &current, &[], &typo, 10)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("generate-master-key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!typo.exists(), "no key was invented");

    let generate = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
            .args(["generate-master-key", "--out"])
            .arg(path)
            .output()
            .unwrap()
    };
    let new = dir.path().join("new.key");
    assert!(generate(&new).status.success());
    assert_eq!(
        std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let first = std::fs::read(&new).unwrap();
    assert!(!generate(&new).status.success(), "never overwrites");
    assert_eq!(std::fs::read(&new).unwrap(), first);
    rotate(&url, &current, &[], &new);
}

/// The secret stored on a key's row, opened with `ring`.
async fn stored_secret(app: &TestApp, ring: &Keyring, id: &str) -> String {
    let row = api_keys::Entity::find_by_id(id.to_owned())
        .one(&app.conn)
        .await
        .unwrap()
        .unwrap();
    ring.open(
        id,
        row.secret_ciphertext.as_deref().unwrap(),
        row.secret_nonce.as_deref().unwrap(),
        row.master_key_id.as_deref().unwrap(),
    )
    .unwrap()
    .expose()
    .to_owned()
}

on_both!(
    a_secret_rolled_after_the_rotation_read_it_is_never_overwritten,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = crate::common::Caller::Admin(app.setup_admin().await);
        let (id, _) = app.create_key(&admin, json!({"name": "shop"})).await;
        let old = || MasterKey::from_base64(&app.master_key_b64).unwrap();
        let new_b64 = MasterKey::generate_base64();
        let ring =
            Keyring::new(old(), vec![]).rotating_to(MasterKey::from_base64(&new_b64).unwrap());
        // The rotation reads the row...
        let stale = api_keys::Entity::find_by_id(id.clone())
            .one(&app.conn)
            .await
            .unwrap()
            .unwrap();
        // ...a replica rolls the key (sealing the new secret with the old key)...
        let rolled = app.call("keys.roll", json!({"id": id}), &admin).await.json["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        // ...and the rotation's write of what it read must not land.
        assert!(!app::server::keys::rewrap::reseal(&app.conn, &ring, &stale)
            .await
            .unwrap());
        let r = app.call("keys.reveal", json!({"id": id}), &admin).await;
        assert_eq!(r.json["secret"], rolled.as_str());
        // The next pass re-seals the rolled secret itself.
        let moved = app::server::keys::rewrap::rewrap_all(&app.conn, &ring, 0, 10)
            .await
            .unwrap();
        assert_eq!((moved.rewrapped, moved.remaining), (1, 0));
        assert_eq!(stored_secret(&app, &ring, &id).await, rolled);
    }
);

on_both!(
    a_tampered_secret_is_dropped_and_the_rest_rotate,
    |backend| async move {
        use app::server::clock::Clock;
        let app = TestApp::new(backend).await;
        let admin = crate::common::Caller::Admin(app.setup_admin().await);
        let (bad, _) = app.create_key(&admin, json!({"name": "tampered"})).await;
        let (good, good_secret) = app.create_key(&admin, json!({"name": "fine"})).await;
        app.exec(&format!(
            "UPDATE api_keys SET secret_nonce = secret_ciphertext WHERE id = '{bad}'"
        ))
        .await;
        let old = MasterKey::from_base64(&app.master_key_b64).unwrap();
        let new_b64 = MasterKey::generate_base64();
        let ring = Keyring::new(old, vec![]).rotating_to(MasterKey::from_base64(&new_b64).unwrap());
        let later = app.clock.now_ms() + 1_000;
        let done = app::server::keys::rewrap::rewrap_all(&app.conn, &ring, later, 10)
            .await
            .unwrap();
        assert_eq!((done.rewrapped, done.unreadable, done.remaining), (1, 1, 0));
        let row = api_keys::Entity::find_by_id(bad.clone())
            .one(&app.conn)
            .await
            .unwrap()
            .unwrap();
        assert!(!row.recoverable && row.master_key_id.is_none());
        let history = app.call("keys.history", json!({"id": bad}), &admin).await;
        assert_eq!(history.json[0]["action"], "key.secret_unreadable");
        // The vault no longer needs the old key for it: the new key alone starts.
        app::server::keys::rewrap::check_keyring(
            &app.conn,
            &Keyring::new(MasterKey::from_base64(&new_b64).unwrap(), vec![]),
        )
        .await
        .unwrap();
        assert_eq!(stored_secret(&app, &ring, &good).await, good_secret);
    }
);

on_both!(
    the_vault_never_moves_back_to_a_retired_key,
    |backend| async move {
        use app::server::keys::vault_record::{adopt_key, recorded_key};
        let app = TestApp::new(backend).await;
        let (old_b64, new_b64) = (MasterKey::generate_base64(), MasterKey::generate_base64());
        let key = |b64: &str| MasterKey::from_base64(b64).unwrap();
        adopt_key(&app.conn, &Keyring::new(key(&old_b64), vec![]))
            .await
            .unwrap();
        // A rotation moves it on...
        adopt_key(&app.conn, &Keyring::new(key(&new_b64), vec![key(&old_b64)]))
            .await
            .unwrap();
        assert_eq!(
            recorded_key(&app.conn).await.unwrap().unwrap(),
            key(&new_b64).id()
        );
        // ...and a server restarted with the keys the wrong way round cannot move it back.
        let err = adopt_key(&app.conn, &Keyring::new(key(&old_b64), vec![key(&new_b64)]))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("was replaced by"), "{err}");
        assert_eq!(
            recorded_key(&app.conn).await.unwrap().unwrap(),
            key(&new_b64).id()
        );
    }
);

on_both!(
    webhook_signing_secrets_are_resealed_by_a_rotation,
    |backend| async move { webhook_secrets(backend).await }
);

/// An endpoint's secret and, after a roll, its previous one are sealed by the master key too:
/// the rotation re-seals both, so a server holding only the new key starts and signs with both.
async fn webhook_secrets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let keys = tempfile::tempdir().unwrap();
    let (old, _) = key_file(keys.path(), "old.key");
    let (new, new_id) = key_file(keys.path(), "new.key");
    let dir = tempfile::tempdir().unwrap();
    let receiver = crate::webhooks::Receiver::start();
    let lax = |current: &Path| {
        vec![
            ("LS_MASTER_KEY_FILE", current.display().to_string()),
            ("LS_ALLOW_PRIVATE_WEBHOOKS", "true".to_owned()),
            ("LS_ALLOW_INSECURE_WEBHOOKS", "true".to_owned()),
        ]
    };
    let env = lax(&old);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = process::start(dir.path(), &db.url, &env).await;
    let cookie = server.setup().await;
    let (status, body) = server
        .api(
            "webhooks.create",
            json!({"url": format!("{}/hooks", receiver.base), "events": ["key.created"]}),
            &cookie,
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["endpoint"]["id"].as_str().unwrap().to_owned();
    let first = body["secret"].clone();
    let (status, body) = server
        .api("webhooks.roll_secret", json!({"id": id}), &cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["secret"].clone();
    stop(server).await;

    let out = rotate(&db.url, &old, &[], &new);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("every secret is sealed under {new_id}")),
        "{text}"
    );

    // Only the new key: the server starts (nothing is left under the old one) and signs.
    let env = lax(&new);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = process::start(dir.path(), &db.url, &env).await;
    receiver.control(json!({"secrets": [first, second]})).await;
    let (status, body) = server
        .api("webhooks.test", json!({"id": id}), &cookie)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = receiver.wait_for(1).await;
    assert_eq!(log[0]["verifiedBy"], json!([0, 1]), "{log:#?}");
    stop(server).await;
}

//! Secrets never reach a log line, even at debug level.

use std::{
    io::Write,
    sync::{Mutex, OnceLock},
};

use serde_json::json;

use crate::common::{Backend, Caller, Session, TestApp, PASSWORD};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_debug_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(|| Capture)
            .with_ansi(false)
            .init();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_or_secret_is_logged_at_debug_level() {
    capture_debug_logs();
    let app = TestApp::new(Backend::Sqlite).await;
    let admin = app.setup_admin().await;
    let login = app.login("ann@example.com", PASSWORD).await;
    let second = Session::from_reply(&login).unwrap();
    let failed = app.login("ann@example.com", "not the password 123").await;
    assert_eq!(failed.status, 401);
    let (id, secret) = app
        .create_key(
            &Caller::Admin(admin.clone()),
            json!({"name": "shop", "scopes": ["keys:verify"]}),
        )
        .await;
    let revealed = app
        .call(
            "keys.reveal",
            json!({"id": id}),
            &Caller::Admin(second.clone()),
        )
        .await;
    assert_eq!(revealed.json["secret"], secret.as_str());
    app.call("whoami", json!({}), &Caller::Key(secret.clone()))
        .await;
    app.call(
        "keys.verify",
        json!({"key": secret}),
        &Caller::Key(secret.clone()),
    )
    .await;
    let rolled = app
        .call(
            "keys.roll",
            json!({"id": id, "grace_seconds": 60}),
            &Caller::Admin(admin.clone()),
        )
        .await;
    let new_secret = rolled.json["secret"].as_str().unwrap().to_owned();
    // A key in the query string is refused, and must not be logged either.
    app.send(
        http::Request::post(format!("/api/v1/whoami?api_key={new_secret}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    app.flush_usage().await;

    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    assert!(logs.contains("DEBUG"), "debug logging was captured");
    for (what, value) in [
        ("password", PASSWORD),
        ("wrong password", "not the password 123"),
        ("session token", admin.token.as_str()),
        ("second session token", second.token.as_str()),
        ("key secret", secret.as_str()),
        ("rolled secret", new_secret.as_str()),
    ] {
        assert!(!logs.contains(value), "the {what} appears in the logs");
    }
}

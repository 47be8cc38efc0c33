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
            // The server's own format of uncoloured text logs.
            .event_format(server::log_format::Text::default())
            .fmt_fields(server::log_fields::TextFields)
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
    // Every request's lines were captured, each naming its request and, once a key
    // authenticated, the key by its id.
    let access = |function: &str| {
        logs.lines()
            .filter(|l| l.contains("licenseshipper::access"))
            .find(|l| l.contains(&format!(r#"function="{function}""#)))
            .unwrap_or_else(|| panic!("no access line for {function}: {logs}"))
    };
    assert!(access("keys.reveal").starts_with(|c: char| c.is_ascii_digit()));
    assert!(
        access("whoami").contains(&format!(r#"key_id="{id}""#)),
        "{logs}"
    );
    assert!(
        access("keys.verify").contains(&format!(r#"key_id="{id}""#)),
        "{logs}"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_id_function_key_status_and_duration_never_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::process::sqlite_url(dir.path());
    // The default filter of the JSON format (no LS_LOG): the access log is on.
    let server = crate::process::start(
        dir.path(),
        &url,
        &[("LS_LOG_FORMAT", "json"), ("LS_LOG", "")],
    )
    .await;
    let cookie = server.setup().await;
    let (_, body) = server
        .api(
            "keys.create",
            serde_json::json!({"name": "shipped"}),
            &cookie,
        )
        .await
        .unwrap();
    let key_id = body["key"]["id"].as_str().unwrap().to_owned();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let (status, headers, _) = server
        .request(
            http::Method::POST,
            "/api/v1/whoami",
            "",
            &[("authorization", &format!("Bearer {secret}"))],
        )
        .await
        .unwrap();
    assert_eq!(status, http::StatusCode::OK);
    let request_id = headers["x-request-id"].to_str().unwrap().to_owned();
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    drop(server);
    let log = std::fs::read_to_string(dir.path().join(format!("server-{port}.log"))).unwrap();
    assert!(!log.contains(&secret), "the secret reached the log");
    // Every line of the log stream is JSON (messages for people go to stderr).
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| l["span"]["id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no line for request {request_id}: {log}"));
    assert_eq!(access["target"], "licenseshipper::access");
    assert_eq!(access["fields"]["status"], 200);
    assert!(access["fields"]["duration_us"].as_u64().is_some());
    assert_eq!(access["span"]["path"], "/api/v1/whoami");
    assert_eq!(access["span"]["function"], "whoami");
    assert_eq!(access["span"]["key_id"], key_id.as_str());
}

//! Smaller holes from the security review, one test each.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use app::server::clock::Clock;
use axum::body::Body;
use http::{header, Request, StatusCode};
use serde_json::json;

use crate::{
    common::{Caller, TestApp},
    on_both,
};

on_both!(
    nul_characters_in_any_text_input_are_a_client_error,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, key) = app
            .create_key(
                &admin,
                json!({"name": "all", "scopes": ["keys:read", "keys:write", "keys:verify"]}),
            )
            .await;
        // Every argument name any function takes, each holding a NUL.
        let nul = "a\u{0}b";
        let body = json!({
            "id": nul, "ids": [nul], "name": nul, "project": nul, "email": nul,
            "password": nul, "key": nul, "query": nul, "current_password": nul,
            "new_password": nul, "before": nul, "action": nul, "scopes": [nul],
        });
        let paths: Vec<String> = server_fn::axum::server_fn_paths()
            .map(|(p, _)| p.trim_start_matches("/api/v1/").to_owned())
            .collect();
        for path in &paths {
            for caller in [&admin, &Caller::Key(key.clone())] {
                let r = app.call(path, body.clone(), caller).await;
                assert!(
                    r.status.is_client_error(),
                    "{path}: {} {}",
                    r.status,
                    r.text
                );
            }
        }
        // Specifically, the id a PostgreSQL lookup choked on.
        let r = app.call("keys.get", json!({"id": "\u{0}"}), &admin).await;
        assert_eq!(
            (r.status, r.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("id")),
            "{}",
            r.text
        );
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 1, "nothing was created");
    }
);

on_both!(
    the_usage_flush_writes_keys_in_id_order,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let mut ids = Vec::new();
        for i in 0..40 {
            ids.push(
                app.create_key(&admin, json!({"name": format!("k{i}")}))
                    .await
                    .0,
            );
        }
        let mut conn = app.db.connect().await;
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = seen.clone();
        conn.set_metric_callback(move |info| {
            log.lock().unwrap().push(info.statement.to_string());
        });
        let buffer = app::server::keys::usage::UsageBuffer::default();
        // Recorded in an order unrelated to the ids.
        for id in ids.iter().rev().step_by(2).chain(ids.iter().step_by(2)) {
            buffer.record(id, app.clock.now_ms(), Some("192.0.2.1"), None);
        }
        buffer.flush(&conn).await.unwrap();
        let statements = seen.lock().unwrap().clone();
        let order: Vec<&String> = statements
            .iter()
            .filter(|sql| sql.starts_with("UPDATE"))
            .filter_map(|sql| ids.iter().find(|id| sql.contains(id.as_str())))
            .collect();
        assert_eq!(order.len(), ids.len(), "{statements:?}");
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "rows are locked in id order");
    }
);

#[tokio::test]
async fn every_variant_of_a_static_file_varies_on_accept_encoding() {
    let app = TestApp::new(crate::common::Backend::Sqlite).await;
    let asset = "frontend-0123456789abcdef.js";
    std::fs::write(app.site.path().join(format!("{asset}.br")), b"br bytes").unwrap();
    for accept in ["br", "identity"] {
        let r = app
            .send(
                Request::get(format!("/{asset}"))
                    .header(header::ACCEPT_ENCODING, accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let vary = r.headers.get_all(header::VARY);
        assert!(
            vary.iter().any(|v| v
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")),
            "{accept}: {:?}",
            r.headers
        );
        assert_eq!(
            r.headers.get(header::CONTENT_ENCODING).is_some(),
            accept == "br"
        );
    }
}

on_both!(
    cookie_calls_must_be_json_so_forms_cannot_forge_them,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let session = app.setup_admin().await;
        for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
            let mut req = Request::post("/api/v1/keys.create")
                .header(header::HOST, "keys.test")
                .header(header::COOKIE, format!("ls_session={}", session.token));
            if !content_type.is_empty() {
                req = req.header(header::CONTENT_TYPE, content_type);
            }
            let r = app
                .send(req.body(Body::from(r#"{"name":"forged"}"#)).unwrap())
                .await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
                "{content_type}: {}",
                r.text
            );
        }
        // Anonymous login is covered as well (login CSRF).
        let r = app
            .send(
                Request::post("/api/v1/auth.login")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from(r#"{"email":"ann@example.com","password":"x"}"#))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let admin = Caller::Admin(session);
        let list = app.call("keys.list", json!({}), &admin).await;
        assert_eq!(list.json["total"], 0, "nothing was created");
        // JSON with a charset parameter is fine, and bearer callers may omit the type.
        let (_, key) = app.create_key(&admin, json!({"name": "k"})).await;
        let r = app
            .send(
                Request::post("/api/v1/whoami")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

/// A body that never arrives.
fn endless_body() -> Body {
    Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>())
}

#[tokio::test]
async fn the_caller_is_settled_before_the_body_is_read() {
    let app = TestApp::new(crate::common::Backend::Sqlite).await;
    let req = Request::post("/api/v1/keys.list")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "1000")
        .body(endless_body())
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), app.send(req))
        .await
        .expect("an anonymous caller is refused without waiting for its body");
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let mut options = crate::common::Options::default();
    options.settings.body_timeout = Duration::from_millis(300);
    let app = TestApp::with(crate::common::Backend::Sqlite, options).await;
    let session = app.setup_admin().await;
    let req = Request::post("/api/v1/keys.list")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "keys.test")
        .header(header::COOKIE, format!("ls_session={}", session.token))
        .body(endless_body())
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), app.send(req))
        .await
        .expect("the body timeout answers");
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
        "{}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/keys.db?mode=rwc", dir.path().display());
    let server = crate::process::start(dir.path(), &url, &[("LS_HEADER_TIMEOUT_SECS", "1")]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /api/v1/whoami HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the connection is still open 5 s after the 1 s header timeout"
    );
}

on_both!(
    arguments_are_one_json_object_of_the_functions_own_fields,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, _) = app.create_key(&admin, json!({"name": "k"})).await;
        // An unknown argument is named, not ignored (it might be a misspelt one).
        let r = app
            .call("keys.enable", json!({"id": id, "cascade": true}), &admin)
            .await;
        assert_eq!(
            (r.status, r.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("cascade"))
        );
        let r = app.call("keys.list", json!([]), &admin).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "bad_request")
        );
        // A whole number written with a fraction is an integer, as JSON Schema counts them.
        let r = app
            .call("keys.list", json!({"page": 1.0, "page_size": 10.0}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["page_size"], 10);
    }
);

//! Hostile input: every category gets a clear 4xx, stores nothing and leaves the server healthy.

use axum::body::Body;
use http::{header, HeaderValue, Request, StatusCode};
use serde_json::json;

use crate::{
    common::{Caller, TestApp},
    on_both,
};

async fn healthy_and_empty(app: &TestApp, admin: &Caller) {
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let list = app.call("keys.list", json!({}), admin).await;
    assert_eq!(list.json["total"], 0, "nothing was stored");
}

fn raw(path: &str, cookie: &str) -> http::request::Builder {
    Request::post(format!("/api/v1/{path}"))
        .header(header::COOKIE, format!("ls_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/json")
}

on_both!(oversized_bodies_get_413, |backend| async move {
    let app = TestApp::new(backend).await;
    let session = app.setup_admin().await;
    let admin = Caller::Admin(session.clone());
    // A 10 MB name, with and without a Content-Length.
    let body = format!(r#"{{"name":"{}"}}"#, "n".repeat(10 * 1024 * 1024));
    let r = app
        .send(
            raw("keys.create", &session.token)
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let stream = futures::stream::iter(
        body.into_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let r = app
        .send(
            raw("keys.create", &session.token)
                .body(Body::from_stream(stream))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    healthy_and_empty(&app, &admin).await;
});

on_both!(
    malformed_json_and_wrong_types_get_400,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let session = app.setup_admin().await;
        let admin = Caller::Admin(session.clone());
        for body in [
            "{",
            "[]",
            "null",
            "\"name\"",
            "{\"name\": }",
            "{\"name\": \"a\"} trailing",
            "{\"name\": [\"a\"]}",
            "{\"name\": {\"x\": 1}}",
            "{\"name\": true}",
            "{\"name\": \"ok\", \"scopes\": \"keys:read\"}",
            "{\"name\": \"ok\", \"expires_at\": \"tomorrow\"}",
            "{\"name\": \"ok\", \"rate_limit_per_minute\": -5}",
        ] {
            let r = app
                .send(
                    raw("keys.create", &session.token)
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
            assert_eq!(r.code(), "bad_request");
        }
        let r = app
            .send(
                raw("keys.create", &session.token)
                    .body(Body::from(vec![0xff, 0xfe, b'{']))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "invalid UTF-8 body");
        healthy_and_empty(&app, &admin).await;
    }
);

on_both!(
    nul_and_control_characters_are_refused,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        for name in [
            "a\u{0}b",
            "bell\u{7}",
            "line\nbreak",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "mid\u{85}dle",
        ] {
            let r = app.call("keys.create", json!({"name": name}), &admin).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
            assert_eq!(r.json["error"]["field"], "name");
            let r = app
                .call(
                    "keys.create",
                    json!({"name": "ok", "project": name}),
                    &admin,
                )
                .await;
            assert_eq!(r.json["error"]["field"], "project", "{name:?}");
            let r = app.call("keys.list", json!({"query": name}), &admin).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = app
            .call(
                "auth.login",
                json!({"email": "a\u{0}@b.co", "password": "x\u{0}y"}),
                &Caller::Anonymous,
            )
            .await;
        // Refused before any function runs, naming an argument that holds one.
        assert_eq!(
            (r.status, r.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
        );
        healthy_and_empty(&app, &admin).await;
    }
);

on_both!(invalid_utf8_in_headers_is_handled, |backend| async move {
    let app = TestApp::new(backend).await;
    let session = app.setup_admin().await;
    let admin = Caller::Admin(session.clone());
    let bad = HeaderValue::from_bytes(b"\xff\xfe bad").unwrap();
    let r = app
        .send(
            Request::post("/api/v1/whoami")
                .header(header::AUTHORIZATION, bad.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "key_malformed")
    );
    // A garbled user agent or cookie does not break an otherwise valid call.
    let r = app
        .send(
            raw("keys.create", &session.token)
                .header(header::USER_AGENT, bad.clone())
                .body(Body::from(r#"{"name":"ua"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .send(
            Request::post("/api/v1/keys.list")
                .header(header::COOKIE, bad.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .send(
            raw("keys.list", &session.token)
                .header(header::ORIGIN, bad)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "cross_origin")
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let list = app.call("keys.list", json!({}), &admin).await;
    assert_eq!(list.json["total"], 1);
});

on_both!(
    a_searched_page_past_63_bits_is_empty,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        // As an admin and as an API key (which searches names only), with and without the trigram
        // index: a searched page walks the sort order for matches, and that walk's length (the
        // page's offset and more) must not run past 63 bits either.
        let (_, secret) = app
            .create_key(&admin, json!({"name": "Reader", "scopes": ["keys:read"]}))
            .await;
        for caller in [&admin, &Caller::Key(secret)] {
            for query in ["r", "rea"] {
                let r = app
                    .call(
                        "keys.list",
                        json!({"query": query, "page": i64::MAX}),
                        caller,
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
                assert_eq!(r.json["items"], json!([]));
            }
        }
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    }
);

on_both!(absurd_pages_and_sizes_are_refused, |backend| async move {
    let app = TestApp::new(backend).await;
    let admin = Caller::Admin(app.setup_admin().await);
    for (body, status) in [
        (
            json!({"page_size": 1_000_000_000_000u64}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"page_size": 0}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"page": 0}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"page": -3}), StatusCode::BAD_REQUEST),
        (json!({"page": 1.5}), StatusCode::BAD_REQUEST),
        (json!({"page_size": "ten"}), StatusCode::BAD_REQUEST),
        (json!({"filter": "everything"}), StatusCode::BAD_REQUEST),
        (json!({"order": "sideways"}), StatusCode::BAD_REQUEST),
        (
            json!({"query": "q".repeat(201)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app.call("keys.list", body.clone(), &admin).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    // A huge page number is simply past the end; one beyond 63 bits (the documented int64) is
    // refused, naming the field.
    let r = app
        .call("keys.list", json!({"page": i64::MAX}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["items"], json!([]));
    let r = app
        .call("keys.list", json!({"page": u64::MAX}), &admin)
        .await;
    assert_eq!(
        (r.status, r.json["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("page"))
    );
    let r = app
        .call("keys.usage", json!({"id": "x", "days": 100000}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call("keys.bulk_delete", json!({"ids": vec!["x"; 501]}), &admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    healthy_and_empty(&app, &admin).await;
});

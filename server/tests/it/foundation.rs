use axum::body::Body;
use http::{header, Request, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{
    common::{Backend, TestApp},
    on_both,
};

on_both!(health_reports_the_database, |backend| async move {
    let app = TestApp::new(backend).await;
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json["status"], "ok");
    assert_eq!(ok.json["database"], "ok");
    assert_eq!(
        ok.json["backend"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    app.conn.close_by_ref().await.unwrap();
    let down = app.get("/healthz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json["database"], "unreachable");
});

#[tokio::test]
async fn spa_routes_get_index_and_assets_are_cached_for_good() {
    let app = TestApp::new(Backend::Sqlite).await;
    for path in ["/keys", "/keys/0193", "/anything/else", "/"] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.text.contains("<title>LicenseShipper Keys</title>"),
            "{path}"
        );
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache", "{path}");
    }
    let asset = app.get("/frontend-0123456789abcdef.js").await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(
        asset.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        app.get("/missing-file.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::new(Backend::Sqlite).await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    // Every kind of response: the page, health, an API refusal, the router's 404 and 405, an
    // unknown function, a static file's 404, and a compressed document.
    let requests = [
        ("page", get("/keys")),
        ("health", get("/healthz")),
        ("refused call", get("/api/v1/keys.list")),
        ("unknown function", get("/api/v1/nothing.here")),
        ("missing file", get("/missing-file.js")),
        (
            "wrong method",
            Request::delete("/livez").body(Body::empty()).unwrap(),
        ),
        (
            "compressed",
            Request::get("/api/v1/openapi.json")
                .header(header::ACCEPT_ENCODING, "br")
                .body(Body::empty())
                .unwrap(),
        ),
    ];
    for (what, req) in requests {
        let r = app.send(req).await;
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // Exactly the inline loader script of index.html is allowed, by hash.
        assert!(csp.contains("'sha256-"), "{csp}");
        for (name, value) in server::headers::FIXED {
            assert_eq!(r.headers.get(&name), Some(&value), "{what}: {name}");
        }
        assert!(r.headers.get("x-request-id").is_some(), "{what}");
        assert!(
            r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "{what}: no HSTS over plain HTTP"
        );
        if what == "compressed" {
            assert_eq!(r.headers[header::CONTENT_ENCODING], "br");
        }
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let app = TestApp::new(Backend::Sqlite).await;
    let row = app
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "wal");
    let row = app
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 1);
}

#[tokio::test]
async fn unknown_api_paths_are_404_json() {
    let app = TestApp::new(Backend::Sqlite).await;
    let r = app
        .call(
            "nope.nothing",
            serde_json::json!({}),
            &crate::common::Caller::Anonymous,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
}

#[tokio::test]
async fn secure_cookies_add_secure_and_hsts() {
    use crate::common::{Options, PASSWORD};
    let settings = app::server::state::Settings {
        secure_cookies: true,
        ..Options::default().settings
    };
    let app = TestApp::with(Backend::Sqlite, Options { settings }).await;
    let r = app
        .call(
            "auth.setup",
            serde_json::json!({"email": "a@example.com", "name": "A", "password": PASSWORD}),
            &crate::common::Caller::Anonymous,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        server::headers::HSTS
    );
}

#[tokio::test]
async fn precompressed_assets_are_served_with_their_encoding() {
    let app = TestApp::new(Backend::Sqlite).await;
    let js = app.site.path().join("frontend-0123456789abcdef.js");
    std::fs::write(&js, "export const greeting = 'hello';\n".repeat(100)).unwrap();
    server::site::precompress(app.site.path());
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip")] {
        let r = app
            .send(
                http::Request::get("/frontend-0123456789abcdef.js")
                    .header(header::ACCEPT_ENCODING, accept)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers[header::CONTENT_ENCODING], encoding);
        assert_eq!(
            r.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }
}

/// Answers are compressed on the fly only when the client accepts an encoding and the body is
/// at least `server::compression::MIN_SIZE` bytes.
#[tokio::test]
async fn only_answers_worth_it_are_compressed_and_only_when_asked() {
    let app = TestApp::new(Backend::Sqlite).await;
    let get = |path: &str, accept: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(accept) = accept {
            req = req.header(header::ACCEPT_ENCODING, accept);
        }
        req.body(Body::empty()).unwrap()
    };
    let min = usize::from(server::compression::MIN_SIZE);

    // A JSON answer of some tens of bytes (tower-http alone would compress it).
    let small = app.send(get("/healthz", Some("br, gzip"))).await;
    assert_eq!(small.status, StatusCode::OK);
    assert!((40..min).contains(&small.text.len()), "{}", small.text);
    assert!(small.headers.get(header::CONTENT_ENCODING).is_none());

    let large = app.send(get("/api/v1/openapi.json", None)).await;
    assert!(large.text.len() >= min);
    assert!(large.json.is_object(), "sent as it is");
    assert!(large.headers.get(header::CONTENT_ENCODING).is_none());
    // Either way it says that it varies with what the client accepts (once), for caches.
    assert_eq!(
        large
            .headers
            .get_all(header::VARY)
            .iter()
            .collect::<Vec<_>>(),
        ["accept-encoding"]
    );
    assert!(small.headers.get(header::VARY).is_none());
    for (accept, encoding) in [
        ("gzip", "gzip"),
        ("br;q=1, gzip;q=0.5", "br"),
        ("identity", ""),
    ] {
        let r = app.send(get("/api/v1/openapi.json", Some(accept))).await;
        assert_eq!(
            r.headers
                .get(header::CONTENT_ENCODING)
                .map_or("", |v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(r.headers[header::VARY], "accept-encoding", "{accept}");
    }
}

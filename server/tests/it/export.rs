//! CSV exports of the key list (as searched and filtered) and the audit log: never a secret,
//! formulas defused, what a key may not see redacted, and streamed in bounded chunks.

use axum::body::Body;
use http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::{
    common::{Caller, Reply, TestApp},
    on_both,
};

/// `n` keys named `bulk <i>`, written straight into the table in batches of 1,000.
async fn insert_keys(app: &TestApp, n: usize) {
    for batch in (0..n).step_by(1000) {
        let values: Vec<String> = (batch..(batch + 1000).min(n))
            .map(|n| format!("('00000000-0000-7000-8000-{n:012}', 'bulk {n}', 'bulk {n}\nops', 'bulk {n}', 'lsk_Abcd', 'wxyz', 'hash{n}', false, '', {n}, 'user', 'Ops', {n}, 0)"))
            .collect();
        app.exec(&format!("INSERT INTO api_keys (id, name, search_text, name_lower, start, last4, secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_label, updated_at, usage_count) VALUES {}", values.join(", "))).await;
    }
}

fn rows(r: &Reply) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(r.text.as_bytes());
    reader
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

on_both!(
    the_key_list_exports_as_searched_never_with_a_secret,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (_, eu) = app.create_key(&admin, json!({"name": "Woo EU", "project": "shop.eu", "scopes": ["keys:read"], "allowed_cidrs": ["10.0.0.0/8"]})).await;
        let (_, us) = app
            .create_key(&admin, json!({"name": "Woo US, \"main\""}))
            .await;
        let (_, evil) = app
            .create_key(
                &admin,
                json!({"name": "=HYPERLINK(\"https://evil.example\",\"Woo\")"}),
            )
            .await;
        let (off, _) = app.create_key(&admin, json!({"name": "Shopify"})).await;
        app.call("keys.disable", json!({"id": off}), &admin).await;

        let r = app
            .call(
                "keys.export",
                json!({"query": "woo", "sort": "name", "order": "asc"}),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert!(r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
        for secret in [&eu, &us, &evil] {
            assert!(!r.text.contains(secret.as_str()), "a secret in the export");
        }
        let rows = rows(&r);
        assert_eq!(rows[0], app::api::keys::KEY_EXPORT_COLUMNS);
        let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            names,
            [
                "'=HYPERLINK(\"https://evil.example\",\"Woo\")",
                "Woo EU",
                "Woo US, \"main\""
            ]
        );
        let eu_row = &rows[2];
        assert_eq!(eu_row[1], "shop.eu");
        assert!(
            eu_row[2].starts_with("lsk_") && eu_row[2].contains('•'),
            "{:?}",
            eu_row
        );
        assert_eq!(eu_row[4], "Ann Admin");
        assert_eq!(eu_row[8], "active");
        assert_eq!(eu_row[9], "keys:read");
        assert_eq!(eu_row[10], "10.0.0.0/8");

        // The filter applies as in the list.
        let r = app
            .call("keys.export", json!({"filter": "disabled"}), &admin)
            .await;
        let rows = self::rows(&r);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[1][0].as_str(), rows[1][8].as_str()),
            ("Shopify", "disabled")
        );

        // An integrator with keys:read exports too; about keys outside its rights, no admin's
        // name or address; a bad argument is a 422 as in the list.
        let (_, reader) = app
            .create_key(&admin, json!({"name": "Reporter", "scopes": ["keys:read"]}))
            .await;
        app.create_key(
            &admin,
            json!({"name": "Deployer", "scopes": ["keys:write"]}),
        )
        .await;
        let r = app
            .call(
                "keys.export",
                json!({"query": "deployer"}),
                &Caller::Key(reader.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(self::rows(&r)[1][4], "Admin");
        let r = app
            .call(
                "keys.export",
                json!({"filter": "nonsense"}),
                &Caller::Key(reader),
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        let r = app
            .call("keys.export", json!({"query": "x".repeat(500)}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

on_both!(
    the_audit_log_exports_with_its_filters,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, _) = app.create_key(&admin, json!({"name": "Woo"})).await;
        app.call("keys.disable", json!({"id": id}), &admin).await;
        app.create_key(&admin, json!({"name": "Other"})).await;
        let r = app
            .call("audit.export", json!({"key_id": id}), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rows = rows(&r);
        assert_eq!(rows[0], app::api::audit::AUDIT_EXPORT_COLUMNS);
        let actions: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
        assert_eq!(actions, ["key.disabled", "key.created"]);
        assert_eq!(rows[1][2], "Ann Admin");
        // Keys never read the audit log.
        let (_, key) = app
            .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
            .await;
        assert_eq!(
            app.call("audit.export", json!({}), &Caller::Key(key))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

on_both!(
    a_hundred_thousand_keys_stream_out_in_small_chunks,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        const KEYS: usize = 100_000;
        insert_keys(&app, KEYS).await;
        let session = match &admin {
            Caller::Admin(s) => s.token.clone(),
            _ => unreachable!(),
        };
        let req = Request::post("/api/v1/keys.export")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "keys.test")
            .header(header::ORIGIN, "http://keys.test")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, format!("ls_session={session}"))
            .body(Body::from("{}"))
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.into_body();
        let compressed = Request::post("/api/v1/keys.export")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "keys.test")
            .header(header::ORIGIN, "http://keys.test")
            .header("sec-fetch-site", "same-origin")
            .header(header::ACCEPT_ENCODING, "br")
            .header(header::COOKIE, format!("ls_session={session}"))
            .body(Body::from("{\"query\": \"bulk 9999\"}"))
            .unwrap();
        let (mut frames, mut largest, mut lines) = (0usize, 0usize, 0usize);
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            frames += 1;
            largest = largest.max(data.len());
            lines += data.iter().filter(|b| **b == b'\n').count();
        }
        assert_eq!(lines, KEYS + 1, "every key and the header");
        assert!(frames > 100, "streamed in {frames} chunks");
        assert!(largest < 64 * 1024, "the largest chunk was {largest} bytes");

        // Compressed on the way (as browsers ask), the stream ends cleanly too.
        let res = app.router.clone().oneshot(compressed).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        let bytes = res
            .into_body()
            .collect()
            .await
            .expect("the compressed export ends")
            .to_bytes();
        let mut text = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), 1 + 11, "{text}"); // bulk 9999, bulk 99990..99999
    }
);

on_both!(
    only_two_exports_run_at_once_and_the_third_is_told_to_retry,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        // Enough keys that an unread answer fills its few chunks in flight and holds its slot.
        insert_keys(&app, 5000).await;
        let session = match &admin {
            Caller::Admin(s) => s.token.clone(),
            _ => unreachable!(),
        };
        let export = || {
            Request::post("/api/v1/keys.export")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::HOST, "keys.test")
                .header(header::ORIGIN, "http://keys.test")
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, format!("ls_session={session}"))
                .body(Body::from("{}"))
                .unwrap()
        };
        // Two answers held open, unread: both slots are taken.
        let first = app.router.clone().oneshot(export()).await.unwrap();
        let second = app.router.clone().oneshot(export()).await.unwrap();
        assert_eq!(
            (first.status(), second.status()),
            (StatusCode::OK, StatusCode::OK)
        );
        let r = app.call("keys.export", json!({}), &admin).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert_eq!(r.json["error"]["retry_after"], 5);
        // Read to the end, each gives its slot back.
        for res in [first, second] {
            let text = res.into_body().collect().await.unwrap().to_bytes();
            assert!(text.starts_with(b"name,project"));
        }
        let mut freed = false;
        for _ in 0..50 {
            if app.call("keys.export", json!({}), &admin).await.status == StatusCode::OK {
                freed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(freed, "the slots were not given back");
    }
);

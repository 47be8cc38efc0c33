//! `/metrics`: on its own address only, in a format a Prometheus parser reads, and moving.

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::json;

use app::server::metrics as names;

use crate::process;

/// The value of `name` with exactly these labels, if scraped.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(k).is_some_and(|x| x == *v))
        })
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

async fn whoami(server: &process::Proc, bearer: &str) -> StatusCode {
    server
        .request(
            Method::POST,
            "/api/v1/whoami",
            "",
            &[("authorization", bearer)],
        )
        .await
        .unwrap()
        .0
}

async fn scrape(server: &process::Proc, addr: &str) -> prometheus_parse::Scrape {
    let req = http::Request::builder()
        .uri(format!("http://{addr}/metrics"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = server.client.request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not the Prometheus text format ({e}):\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_apart_parse_and_count_what_happens() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = process::sqlite_url(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = process::start(dir.path(), &url, &[("LS_METRICS_LISTEN", &addr)]).await;

    // The public address does not serve them (the SPA's page, not metrics).
    let (_, headers, _) = server
        .request(Method::GET, "/metrics", "", &[])
        .await
        .unwrap();
    assert!(headers[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    let cookie = server.setup().await;
    let (_, body) = server
        .api("keys.create", json!({"name": "scraped"}), &cookie)
        .await
        .unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {secret}");
    for _ in 0..3 {
        assert_eq!(whoami(&server, &bearer).await, StatusCode::OK);
    }
    let wrong = format!("{secret}0"); // one character too many: malformed
    let (status, _, _) = server
        .request(
            Method::POST,
            "/api/v1/whoami",
            "",
            &[("authorization", &format!("Bearer {wrong}"))],
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let first = scrape(&server, &addr).await;
    let ok = [("function", "whoami"), ("status", "200")];
    assert_eq!(value(&first, names::REQUESTS, &ok), Some(3.0));
    assert_eq!(
        value(
            &first,
            names::REQUESTS,
            &[("function", "whoami"), ("status", "401")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&first, names::VERIFICATIONS, &[("outcome", "valid")]),
        Some(3.0)
    );
    assert!(value(&first, names::VERIFICATIONS, &[("outcome", "malformed")]).is_some());
    assert!(value(&first, names::CACHE_LOOKUPS, &[("result", "hit")]).is_some_and(|n| n >= 2.0));
    assert!(value(&first, names::CACHE_LOOKUPS, &[("result", "miss")]).is_some());
    assert!(value(&first, names::DB_POOL_CONNECTIONS, &[("state", "idle")]).is_some());
    assert_eq!(value(&first, names::DB_WRITES_WAITING, &[]), Some(0.0));
    // A histogram with the configured buckets, the smallest one included.
    let latency = first
        .samples
        .iter()
        .find(|s| s.metric == names::REQUEST_SECONDS && s.labels.get("function") == Some("whoami"))
        .expect("whoami latency");
    match &latency.value {
        prometheus_parse::Value::Histogram(buckets) => assert!(
            buckets
                .iter()
                .any(|b| (b.less_than - names::LATENCY_BUCKETS[0]).abs() < 1e-12),
            "{buckets:?}"
        ),
        other => panic!("not a histogram: {other:?}"),
    }

    // Counters move; the usage flush reports itself.
    for _ in 0..2 {
        assert_eq!(whoami(&server, &bearer).await, StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let second = scrape(&server, &addr).await;
    assert_eq!(value(&second, names::REQUESTS, &ok), Some(5.0));
    assert!(value(&second, names::USAGE_FLUSH_KEYS, &[]).is_some());
    assert!(value(&second, names::USAGE_FLUSH_LAG_SECONDS, &[]).is_some());
}

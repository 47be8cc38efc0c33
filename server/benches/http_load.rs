//! HTTP load benchmark (`make bench`): the release server on SQLite with a valid key; `whoami`
//! against the trivial `/livez` route of the same server, in the same run, at 64 connections.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use http::{header, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use support::{env_secs, percentiles, HttpClient, Server};

const CONNECTIONS: usize = 64;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes every bench target
    }
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}

async fn run() {
    let server = Server::start(None, CONNECTIONS).await;
    let cookie = server.setup_admin().await;
    let (_, key) = server
        .create_key(&cookie, r#"{"name":"load","scopes":["keys:read"]}"#)
        .await;
    let warm = env_secs("LOAD_WARMUP_SECS", 2);
    let measure = env_secs("LOAD_SECS", 8);
    println!(
        "HTTP load: {CONNECTIONS} connections, {}s warm-up + {}s per route, release server on SQLite",
        warm.as_secs(),
        measure.as_secs()
    );
    let hello = load(
        &server.client,
        &format!("{}/livez", server.base),
        None,
        warm,
        measure,
    )
    .await;
    let whoami = load(
        &server.client,
        &format!("{}/api/v1/whoami", server.base),
        Some(&key),
        warm,
        measure,
    )
    .await;
    for (name, r) in [
        ("GET /livez (hello world)", &hello),
        ("POST /api/v1/whoami", &whoami),
    ] {
        println!(
            "  {name:<26} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
            r.rps, r.p50, r.p99, r.errors
        );
    }
    println!(
        "  whoami / hello-world throughput: {:.0}% (target >= 60%), whoami p99 {:.2} ms (target <= 5 ms)",
        whoami.rps / hello.rps * 100.0,
        whoami.p99
    );
}

struct Outcome {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

async fn load(
    client: &HttpClient,
    url: &str,
    key: Option<&str>,
    warm: Duration,
    measure: Duration,
) -> Outcome {
    let uri: http::Uri = url.parse().unwrap();
    let auth = key.map(|k| format!("Bearer {k}"));
    let measure_from = Instant::now() + warm;
    let end = measure_from + measure;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, uri, auth) = (client.clone(), uri.clone(), auth.clone());
            tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::with_capacity(100_000), 0);
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let req = match &auth {
                        Some(a) => Request::post(uri.clone()).header(header::AUTHORIZATION, a),
                        None => Request::get(uri.clone()),
                    }
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                    let ok = match client.request(req).await {
                        Ok(res) => {
                            let good = res.status().is_success();
                            let _ = res.into_body().collect().await;
                            good
                        }
                        Err(_) => false,
                    };
                    if now >= measure_from {
                        lat.push(now.elapsed().as_secs_f64() * 1000.0);
                        errors += usize::from(!ok);
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    let count = all.len();
    let (p50, p99, _) = percentiles(all);
    Outcome {
        rps: count as f64 / measure.as_secs_f64(),
        p50,
        p99,
        errors,
    }
}

//! HTTP load benchmark (`make bench`): starts the release server on SQLite with a valid key and
//! measures `whoami` against the trivial `/livez` route of the same server, in the same run, at
//! 64 concurrent connections. Prints throughput, latency percentiles and the ratio.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

const CONNECTIONS: usize = 64;

fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes every bench target
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/index.html"), "<html></html>").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
            .arg("serve")
            .env("LS_LISTEN", format!("127.0.0.1:{port}"))
            .env("LS_SITE_ROOT", dir.path().join("dist"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/load.db?mode=rwc", dir.path().display()),
            )
            .env("LS_MASTER_KEY_FILE", dir.path().join("master.key"))
            .env("LS_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start licenseshipper"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONNECTIONS)
        .build_http();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/healthz").parse().unwrap()).await {
            if r.status().is_success() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let send = |method: Method, path: &str, body: &str, headers: &[(&str, String)]| {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{base}{path}"));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let client = client.clone();
        async move {
            let res = client.request(req).await.expect("request");
            let headers = res.headers().clone();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, headers, body)
        }
    };
    let (_, headers, _) = send(
        Method::POST,
        "/api/v1/auth.setup",
        r#"{"email":"load@example.com","name":"Load","password":"load test password"}"#,
        &[],
    )
    .await;
    let cookie = headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, body) = send(
        Method::POST,
        "/api/v1/keys.create",
        r#"{"name":"load","scopes":["keys:read"]}"#,
        &[("cookie", cookie)],
    )
    .await;
    assert!(status.is_success());
    let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let key = created["secret"].as_str().unwrap().to_owned();

    let warm = env_secs("LOAD_WARMUP_SECS", 2);
    let measure = env_secs("LOAD_SECS", 8);
    println!("HTTP load: {CONNECTIONS} connections, {}s warm-up + {}s per route, release server on SQLite", warm.as_secs(), measure.as_secs());
    let hello = load(&client, &base, "/livez", None, warm, measure).await;
    let whoami = load(&client, &base, "/api/v1/whoami", Some(&key), warm, measure).await;
    for (name, r) in [
        ("GET /livez (hello world)", &hello),
        ("POST /api/v1/whoami", &whoami),
    ] {
        println!(
            "  {name:<26} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
            r.rps, r.p50, r.p99, r.errors
        );
    }
    let ratio = whoami.rps / hello.rps;
    println!(
        "  whoami / hello-world throughput: {:.0}% (target >= 60%), whoami p99 {:.2} ms (target <= 5 ms)",
        ratio * 100.0,
        whoami.p99
    );
}

struct Result {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

async fn load(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    base: &str,
    path: &str,
    key: Option<&str>,
    warm: Duration,
    measure: Duration,
) -> Result {
    let uri: http::Uri = format!("{base}{path}").parse().unwrap();
    let auth = key.map(|k| format!("Bearer {k}"));
    let start = Instant::now();
    let measure_from = start + warm;
    let end = measure_from + measure;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let client = client.clone();
            let uri = uri.clone();
            let auth = auth.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(100_000);
                let mut errors = 0;
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let mut req = Request::builder().uri(uri.clone());
                    req = match &auth {
                        Some(a) => req.method(Method::POST).header(header::AUTHORIZATION, a),
                        None => req.method(Method::GET),
                    };
                    let req = req.body(Full::new(Bytes::new())).unwrap();
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
                        if !ok {
                            errors += 1;
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Result {
        rps: all.len() as f64 / measure.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        errors,
    }
}

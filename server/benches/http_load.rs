//! HTTP load benchmark (`make bench`): the release server on SQLite with a valid key, at 64
//! connections, against an outside baseline measured in the same run: a bare axum hello-world
//! in a process of its own (this bench binary, started with `--hello PORT`). Rounds alternate
//! between the baseline and our routes; `whoami` and `keys.verify` (cache hit) are reported as
//! ratios to it (a GET with no body, the issue's baseline). Our own `/livez` is shown too, for
//! what the middleware alone costs, and the same hello-world reading the very request
//! `keys.verify` is sent (headers and body): what bare axum's p99 is for a call with a body,
//! shown beside `keys.verify`'s. Both calls are measured again with `Accept-Encoding: gzip`,
//! which most HTTP libraries send by default (their answers are too small to be compressed).
//!
//! The load comes from `wrk -t1 -c64` when `wrk` is installed (as the issue measures: one C
//! thread, the lightest client), else from a hyper client in this process, which costs more
//! CPU per request and so leaves both servers less of the two cores. The output names which.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use http::{header, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use support::{env_secs, percentiles, HttpClient, Server};

const CONNECTIONS: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes every bench target
    }
    if let Some(port) = args
        .iter()
        .position(|a| a == "--hello")
        .map(|i| &args[i + 1])
    {
        return hello(port.parse().expect("--hello PORT"));
    }
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}

/// The baseline: axum's hello-world, nothing else (default multi-threaded runtime, as the
/// server has); at `/body` it reads the request's body first.
fn hello(port: u16) {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let app = axum::Router::new()
                .route("/", axum::routing::get(|| async { "Hello, World!" }))
                .route(
                    "/body",
                    axum::routing::post(|_body: Bytes| async { "Hello, World!" }),
                );
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
}

/// The hello-world in a process of its own; killed on drop.
struct Hello {
    child: std::process::Child,
    url: String,
    /// Where it reads the body first.
    body_url: String,
}

impl Drop for Hello {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_hello(client: &HttpClient) -> Hello {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Owned by `Hello` at once, so it is killed and waited for on every path.
    let hello = Hello {
        child: std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--hello", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the hello-world baseline"),
        url: format!("http://127.0.0.1:{port}/"),
        body_url: format!("http://127.0.0.1:{port}/body"),
    };
    for _ in 0..200 {
        let req = Request::get(hello.url.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap();
        if client.request(req).await.is_ok() {
            return hello;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the hello-world baseline did not start");
}

async fn run() {
    let server = Server::start(None, CONNECTIONS).await;
    let cookie = server.setup_admin().await;
    let (_, key) = server
        .create_key(
            &cookie,
            r#"{"name":"load","scopes":["keys:read","keys:verify"]}"#,
        )
        .await;
    let baseline = start_hello(&server.client).await;
    let warm = env_secs("LOAD_WARMUP_SECS", 2);
    let measure = env_secs("LOAD_SECS", 8);
    let rounds: usize = std::env::var("LOAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
        .max(1);
    println!(
        "HTTP load: {CONNECTIONS} connections, {}s warm-up + {}s per route, {rounds} alternating rounds; \
         release server on SQLite at the default log level; baseline: a bare axum hello-world process",
        warm.as_secs(),
        measure.as_secs()
    );
    let wrk = Wrk::find();
    println!(
        "  load generator: {}",
        match &wrk {
            Some(_) => "wrk -t1 (installed)",
            None => "a hyper client in this process (install wrk for the issue's own client)",
        }
    );
    let verify_body = format!(r#"{{"key":"{key}"}}"#);
    let livez = format!("{}/livez", server.base);
    let whoami = format!("{}/api/v1/whoami", server.base);
    let verify = format!("{}/api/v1/keys.verify", server.base);
    let post = |url, body| Call {
        url,
        key: Some(key.as_str()),
        body,
        gzip: false,
    };
    let get = |url| Call {
        url,
        key: None,
        body: None,
        gzip: false,
    };
    // The first row is the baseline every ratio is taken to.
    let routes: [(&str, Row, Call); 7] = [
        (
            "axum hello-world (baseline)",
            Row::Shown,
            get(baseline.url.as_str()),
        ),
        ("GET /livez (ours)", Row::Shown, get(livez.as_str())),
        (
            "POST /api/v1/whoami",
            Row::Target("whoami"),
            post(whoami.as_str(), None),
        ),
        (
            "POST /api/v1/keys.verify",
            Row::Target("keys.verify"),
            post(verify.as_str(), Some(verify_body.as_str())),
        ),
        (
            "hello-world, reading the body",
            Row::BodyFloor,
            post(baseline.body_url.as_str(), Some(verify_body.as_str())),
        ),
        // What most HTTP libraries send by default (Go, Python requests, Node fetch).
        (
            "whoami, accepting gzip",
            Row::Target("whoami accepting gzip"),
            post(whoami.as_str(), None).accepting_gzip(),
        ),
        (
            "keys.verify, accepting gzip",
            Row::Target("keys.verify accepting gzip"),
            post(verify.as_str(), Some(verify_body.as_str())).accepting_gzip(),
        ),
    ];
    let mut results: Vec<Vec<Outcome>> = routes.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (i, (_, _, call)) in routes.iter().enumerate() {
            results[i].push(match &wrk {
                Some(wrk) => wrk.load(call, warm, measure).await,
                None => load(&server.client, call, warm, measure).await,
            });
        }
    }
    for (round, base) in results[0].iter().enumerate() {
        println!("  round {}:", round + 1);
        for (i, (name, ..)) in routes.iter().enumerate() {
            let r = &results[i][round];
            println!(
                "    {name:<30} {:>9.0} req/s ({:>5.1}% of baseline)   p50 {:>6.2} ms   p99 {:>6.2} ms   non-2xx {}",
                r.rps,
                r.rps / base.rps * 100.0,
                r.p50,
                r.p99,
                r.errors
            );
        }
    }
    let mean = |i: usize| results[i].iter().map(|r| r.rps).sum::<f64>() / rounds as f64;
    let worst_p99 = |i: usize| results[i].iter().map(|r| r.p99).fold(0.0, f64::max);
    for (i, (_, row, _)) in routes.iter().enumerate() {
        match row {
            Row::Target(name) => println!(
                "  {name}: {:.0}% of the bare axum hello-world (target >= 70%), worst p99 {:.2} ms (target <= 3 ms)",
                mean(i) / mean(0) * 100.0,
                worst_p99(i)
            ),
            Row::BodyFloor => println!(
                "  the bare axum hello-world reading keys.verify's body: worst p99 {:.2} ms \
                 (what the framework alone reaches for a call with a body)",
                worst_p99(i)
            ),
            Row::Shown => {}
        }
    }
}

/// What the summary says of a route besides its rounds.
enum Row {
    Shown,
    /// A call the issue sets targets for, by this name.
    Target(&'static str),
    /// The bare framework's p99 for a call with a body.
    BodyFloor,
}

struct Outcome {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

/// One request, sent again and again: a POST with the key (and body) if there is a key, else a
/// GET; with `Accept-Encoding: gzip` when `gzip`.
struct Call<'a> {
    url: &'a str,
    key: Option<&'a str>,
    body: Option<&'a str>,
    gzip: bool,
}

impl Call<'_> {
    fn accepting_gzip(self) -> Self {
        Self { gzip: true, ..self }
    }
}

async fn load(client: &HttpClient, call: &Call<'_>, warm: Duration, measure: Duration) -> Outcome {
    let uri: http::Uri = call.url.parse().unwrap();
    let auth = call.key.map(|k| format!("Bearer {k}"));
    let body = Bytes::from(call.body.unwrap_or("").to_owned());
    let gzip = call.gzip;
    let measure_from = Instant::now() + warm;
    let end = measure_from + measure;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, uri, auth, body) =
                (client.clone(), uri.clone(), auth.clone(), body.clone());
            tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::with_capacity(100_000), 0);
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let mut req = match &auth {
                        Some(a) => Request::post(uri.clone())
                            .header(header::AUTHORIZATION, a)
                            .header(header::CONTENT_TYPE, "application/json"),
                        None => Request::get(uri.clone()),
                    };
                    if gzip {
                        req = req.header(header::ACCEPT_ENCODING, "gzip");
                    }
                    let req = req.body(Full::new(body.clone())).unwrap();
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

/// wrk, when installed: the load generator the issue measures with.
struct Wrk {
    /// Holds the request scripts.
    dir: tempfile::TempDir,
}

impl Wrk {
    fn find() -> Option<Self> {
        // `wrk --version` prints its version and exits 1; a missing binary fails to spawn.
        std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .ok()
            .filter(|out| String::from_utf8_lossy(&out.stdout).starts_with("wrk "))?;
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
        })
    }

    /// What [`load`] measures, through wrk: a warm-up run, then the measured one.
    async fn load(&self, call: &Call<'_>, warm: Duration, measure: Duration) -> Outcome {
        let script = self.dir.path().join("request.lua");
        let mut lua = match call.key {
            // The request `load` sends; a Rust string's debug form is a valid Lua string.
            Some(key) => format!(
                "wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n\
                 wrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {:?}\n",
                call.body.unwrap_or("")
            ),
            None => String::new(),
        };
        if call.gzip {
            lua.push_str("wrk.headers[\"Accept-Encoding\"] = \"gzip\"\n");
        }
        std::fs::write(&script, lua).unwrap();
        let run = |secs: u64| {
            tokio::process::Command::new("wrk")
                .args(["-t1", &format!("-c{CONNECTIONS}"), &format!("-d{secs}s")])
                .arg("--latency")
                .arg("-s")
                .arg(&script)
                .arg(call.url)
                .output()
        };
        run(warm.as_secs().max(1)).await.expect("run wrk");
        let out = run(measure.as_secs().max(1)).await.expect("run wrk");
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |prefix: &str| {
            text.lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::trim)
        };
        let ms = |percent: &str| {
            let value =
                field(percent).unwrap_or_else(|| panic!("no {percent} in wrk's output: {text}"));
            let split = value
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(value.len());
            let (number, unit) = value.split_at(split);
            let number: f64 = number.parse().unwrap();
            number
                * match unit {
                    "us" => 0.001,
                    "ms" => 1.0,
                    "s" => 1000.0,
                    other => panic!("wrk latency unit {other:?}"),
                }
        };
        let socket_errors: usize = field("Socket errors:").map_or(0, |errors| {
            errors
                .split(',')
                .filter_map(|e| e.split_whitespace().last()?.parse::<usize>().ok())
                .sum()
        });
        Outcome {
            rps: field("Requests/sec:")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no Requests/sec in wrk's output: {text}")),
            p50: ms("50%"),
            p99: ms("99%"),
            errors: field("Non-2xx or 3xx responses:")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
                + socket_errors,
        }
    }
}

//! Shared by the benchmarks: a release server process, a keep-alive HTTP client, and a scratch
//! PostgreSQL database.

#![allow(dead_code)]

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::TokioExecutor,
};

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub struct Server {
    child: Child,
    pub base: String,
    pub client: HttpClient,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The release server on a fresh SQLite file (or `database_url`), at the default log level
    /// (`BENCH_LOG` to change it), its log discarded.
    pub async fn start(database_url: Option<String>, connections: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("dist")).unwrap();
        std::fs::write(dir.path().join("dist/index.html"), "<html></html>").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = database_url
            .unwrap_or_else(|| format!("sqlite://{}/load.db?mode=rwc", dir.path().display()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_licenseshipper"));
        // The server's own default log level unless BENCH_LOG names one (as LS_LOG would).
        if let Ok(filter) = std::env::var("BENCH_LOG") {
            command.env("LS_LOG", filter);
        }
        let child = command
            .arg("serve")
            .env("LS_LISTEN", format!("127.0.0.1:{port}"))
            .env("LS_SITE_ROOT", dir.path().join("dist"))
            .env("DATABASE_URL", url)
            .env("LS_MASTER_KEY_FILE", dir.path().join("master.key"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start licenseshipper");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(connections)
                .build_http(),
            _dir: dir,
        };
        for _ in 0..400 {
            if let Ok((StatusCode::OK, _, _)) = server.send(Method::GET, "/healthz", "", &[]).await
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), String> {
        // JSON, as every API call is (cookie calls without it are refused).
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let res = self.client.request(req).await.map_err(|e| e.to_string())?;
        let status = res.status();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, headers, body))
    }

    /// Creates the first admin; answers its `Cookie` header value.
    pub async fn setup_admin(&self) -> String {
        let (_, headers, _) = self
            .send(
                Method::POST,
                "/api/v1/auth.setup",
                r#"{"email":"load@example.com","name":"Load","password":"load test password"}"#,
                &[],
            )
            .await
            .unwrap();
        headers[http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// Creates a key as the admin; answers (id, secret).
    pub async fn create_key(&self, cookie: &str, body: &str) -> (String, String) {
        let (status, _, bytes) = self
            .send(
                Method::POST,
                "/api/v1/keys.create",
                body,
                &[("cookie", cookie)],
            )
            .await
            .unwrap();
        assert!(status.is_success(), "create key: {status}");
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (
            v["key"]["id"].as_str().unwrap().to_owned(),
            v["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Resident set size of the server process, in KiB: the whole (`VmRSS`), and the part
    /// that is heap and stacks rather than mapped files such as the SQLite database (`RssAnon`).
    pub fn rss_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("RssAnon:"))
    }
}

pub fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// Latency percentiles (ms) of a sample.
pub fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99), at(1.0))
}

pub fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// A database of its own on the PostgreSQL server of `TEST_POSTGRES_URL` (the README's
/// default when unset), for one bench run; dropped by [`ScratchPostgres::remove`] (left behind
/// if the bench panics: named `ls_bench_*`).
pub struct ScratchPostgres {
    admin: sea_orm::DatabaseConnection,
    name: String,
    pub url: String,
}

impl ScratchPostgres {
    pub async fn create() -> Result<Self, sea_orm::DbErr> {
        use sea_orm::ConnectionTrait;
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = sea_orm::Database::connect(&admin_url).await?;
        let name = format!("ls_bench_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Ok(Self { admin, name, url })
    }

    pub async fn remove(self) {
        use sea_orm::ConnectionTrait;
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

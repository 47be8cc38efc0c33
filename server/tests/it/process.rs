//! Real `licenseshipper serve` processes for crash, shutdown and replica tests.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::TokioExecutor,
};
use serde_json::Value;

pub struct Proc {
    pub child: Child,
    pub base: String,
    pub client: Client<HttpConnector, Full<Bytes>>,
}

/// Starts a server on `database_url`, keeping its files in `dir`.
pub async fn start(dir: &Path, database_url: &str, extra: &[(&str, &str)]) -> Proc {
    let site = dir.join("dist");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), "<html></html>").unwrap();
    launch(
        Path::new(env!("CARGO_BIN_EXE_licenseshipper")),
        dir,
        Some(&site),
        database_url,
        extra,
    )
    .await
}

/// Starts `program` with `dir` as its working directory, serving `site` (or, without one, the
/// client built into the binary).
pub async fn launch(
    program: &Path,
    dir: &Path,
    site: Option<&Path>,
    database_url: &str,
    extra: &[(&str, &str)],
) -> Proc {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Standard output (the log stream) and standard error (messages for people) apart.
    let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
    let messages = std::fs::File::create(dir.join(format!("server-{port}.err"))).unwrap();
    let mut command = Command::new(program);
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("LS_MASTER_KEY")
        .env_remove("LS_SITE_ROOT");
    if let Some(site) = site {
        command.env("LS_SITE_ROOT", site);
    }
    let child = command
        .env("LS_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("LS_MASTER_KEY_FILE", dir.join("master.key"))
        .env("LS_LOG", "info")
        .envs(extra.iter().copied())
        .stdout(log)
        .stderr(messages)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc {
        child,
        base: format!("http://127.0.0.1:{port}"),
        client: Client::builder(TokioExecutor::new()).build_http(),
    };
    for _ in 0..300 {
        if let Ok((StatusCode::OK, _, _)) = proc.request(Method::GET, "/healthz", "", &[]).await {
            return proc;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become healthy; see {}", dir.display());
}

impl Proc {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Result<(StatusCode, http::HeaderMap, Value), String> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let res = tokio::time::timeout(Duration::from_secs(20), self.client.request(req))
            .await
            .map_err(|_| "timeout".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    pub async fn api(
        &self,
        name: &str,
        body: Value,
        cookie: &str,
    ) -> Result<(StatusCode, Value), String> {
        self.request(
            Method::POST,
            &format!("/api/v1/{name}"),
            &body.to_string(),
            &[
                (header::COOKIE.as_str(), cookie),
                (header::CONTENT_TYPE.as_str(), "application/json"),
            ],
        )
        .await
        .map(|(s, _, v)| (s, v))
    }

    /// Creates the first admin; answers the `Cookie` header value of its session.
    pub async fn setup(&self) -> String {
        let body = serde_json::json!({"email": "ops@example.com", "name": "Ops", "password": crate::common::PASSWORD});
        let (status, headers, _) = self
            .request(
                Method::POST,
                "/api/v1/auth.setup",
                &body.to_string(),
                &[(header::CONTENT_TYPE.as_str(), "application/json")],
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal}");
    }

    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Every key id, paging through the list.
    pub async fn all_key_ids(&self, cookie: &str) -> std::collections::BTreeSet<String> {
        let mut ids = std::collections::BTreeSet::new();
        for page in 1.. {
            let (status, body) = self
                .api(
                    "keys.list",
                    serde_json::json!({"page": page, "page_size": 100, "sort": "name"}),
                    cookie,
                )
                .await
                .unwrap();
            assert_eq!(status, StatusCode::OK);
            let items = body["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        }
        ids
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sqlite_url(dir: &Path) -> (String, PathBuf) {
    let path = dir.join("keys.db");
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

//! The test context: a fresh database per test on SQLite or PostgreSQL (created and dropped),
//! the real router on top, and helpers to call it as a browser or an integrator.

use std::{
    convert::Infallible,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use app::server::{
    clock::{ManualClock, SharedClock},
    db,
    state::Settings,
    vault::{Keyring, MasterKey},
    AppState,
};
use axum::body::Body;
use http::{header, Request, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;
use tower::{util::BoxCloneSyncService, ServiceExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// sea-orm's name for it.
    pub fn db(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// One fresh database; PostgreSQL ones are dropped when this goes away.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
                backend,
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {admin_url} ({e}). Storage tests need it: \
                         start it (see .ci/run) or set TEST_POSTGRES_URL."
                    )
                });
                let name = format!("ls_test_{}", uuid::Uuid::now_v7().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                Self {
                    url: format!("{base}/{name}"),
                    backend,
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        let conn = db::connect(&self.url).await.expect("connect test database");
        db::migrate(&conn).await.expect("migrate test database");
        conn
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async: use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub db: TestDb,
    pub conn: DatabaseConnection,
    pub state: AppState,
    /// The server's whole HTTP surface (`serve` adds only the peer's address).
    pub router: BoxCloneSyncService<Request<Body>, axum::response::Response, Infallible>,
    pub clock: Arc<ManualClock>,
    pub master_key_b64: String,
    pub statements: Arc<AtomicUsize>,
    pub site: tempfile::TempDir,
}

pub const INDEX_HTML: &str = "<!DOCTYPE html><html><head><title>LicenseShipper Keys</title>\
<script type=\"module\">import init from '/frontend-0123456789abcdef.js';await init();</script></head><body></body></html>";

pub struct Options {
    pub settings: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            settings: Settings {
                trust_proxy: true,
                // Tests flush usage themselves unless they test the flusher.
                usage_flush_interval: Duration::from_secs(3600),
                // The webhook worker runs when woken (a queued event), not on its own: tests
                // that count statements see none of its polls.
                webhooks: app::server::webhooks::DeliverySettings {
                    poll_interval: Duration::from_secs(3600),
                    expiry_scan_interval: Duration::from_secs(3600),
                    targets: app::server::webhooks::target::TargetPolicy {
                        allow_insecure: true,
                        allow_private: true,
                    },
                    ..Default::default()
                },
                ..Settings::default()
            },
        }
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, Options::default()).await
    }

    pub async fn with(backend: Backend, options: Options) -> Self {
        let db = TestDb::new(backend).await;
        let master_key_b64 = MasterKey::generate_base64();
        Self::on(db, master_key_b64, options).await
    }

    /// Another app (a second replica) on the same database and master key.
    pub async fn replica(&self, options: Options) -> TestApp {
        let db = TestDb {
            url: self.db.url.clone(),
            backend: self.db.backend,
            pg_name: None,
            _dir: tempfile::tempdir().unwrap(),
        };
        Self::on(db, self.master_key_b64.clone(), options).await
    }

    async fn on(db: TestDb, master_key_b64: String, options: Options) -> Self {
        let mut conn = db.connect().await;
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let clock = ManualClock::starting_now();
        let keyring = Keyring::new(MasterKey::from_base64(&master_key_b64).unwrap(), vec![]);
        let state = AppState::start(
            conn.clone(),
            keyring,
            clock.clone() as SharedClock,
            options.settings,
        );
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join("index.html"), INDEX_HTML).unwrap();
        std::fs::write(
            site.path().join("frontend-0123456789abcdef.js"),
            "export default 1",
        )
        .unwrap();
        let site_info = Arc::new(server::Site::load(site.path()).unwrap());
        let router = BoxCloneSyncService::new(server::router(state.clone(), site_info));
        TestApp {
            db,
            conn,
            state,
            router,
            clock,
            master_key_b64,
            statements,
            site,
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// POSTs JSON to an API path as `caller`.
    pub async fn call(&self, path: &str, body: Value, caller: &Caller) -> Reply {
        let req = self.request(path, caller);
        self.send(req.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A call's request as `call` sends it, before its body: for a test that adds its own
    /// headers.
    pub fn request(&self, path: &str, caller: &Caller) -> http::request::Builder {
        let mut req = Request::post(format!("/api/v1/{path}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "keys.test")
            .header("x-forwarded-for", caller.ip());
        match caller {
            Caller::Anonymous => {}
            Caller::Key(key) | Caller::KeyFromIp(key, _) => {
                req = req.header(header::AUTHORIZATION, format!("Bearer {key}"))
            }
            Caller::RawAuthorization(v) => req = req.header(header::AUTHORIZATION, v.as_str()),
            Caller::Admin(s) => {
                req = req
                    .header(header::COOKIE, format!("ls_session={}", s.token))
                    .header(header::ORIGIN, "http://keys.test")
                    .header("sec-fetch-site", "same-origin")
            }
            Caller::CrossOrigin(s) => {
                req = req
                    .header(header::COOKIE, format!("ls_session={}", s.token))
                    .header(header::ORIGIN, "https://evil.example")
                    .header("sec-fetch-site", "cross-site")
            }
            Caller::FromIp(_) => {}
        }
        req
    }

    /// Creates the first admin through the API and returns its session.
    pub async fn setup_admin(&self) -> Session {
        self.setup_admin_as("ann@example.com", "Ann Admin").await
    }

    pub async fn setup_admin_as(&self, email: &str, name: &str) -> Session {
        let reply = self
            .call(
                "auth.setup",
                serde_json::json!({"email": email, "name": name, "password": PASSWORD}),
                &Caller::Anonymous,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        Session::from_reply(&reply).expect("setup sets a session cookie")
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            "auth.login",
            serde_json::json!({"email": email, "password": password}),
            &Caller::Anonymous,
        )
        .await
    }

    /// Adds an account with `role` as `admin` (whose password must be fresh) and signs it in.
    pub async fn add_account(&self, admin: &Caller, email: &str, role: &str) -> Session {
        let r = self
            .call(
                "admins.create",
                serde_json::json!({"email": email, "name": email, "password": PASSWORD, "role": role}),
                admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        Session::from_reply(&r).expect("login sets a session cookie")
    }

    /// Creates a key as `caller`; returns (id, secret).
    pub async fn create_key(&self, caller: &Caller, body: Value) -> (String, String) {
        let reply = self.call("keys.create", body, caller).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        (
            reply.json["key"]["id"].as_str().unwrap().to_owned(),
            reply.json["secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn flush_usage(&self) {
        self.state
            .keys
            .usage_buffer()
            .flush(&self.conn)
            .await
            .expect("usage flush");
    }

    /// Sudo mode: `caller` confirms the admin password (asserting it is accepted).
    pub async fn confirm_password(&self, caller: &Caller) {
        let r = self
            .call(
                "auth.confirm_password",
                serde_json::json!({"password": PASSWORD}),
                caller,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    /// Runs a SQL statement on this test's database.
    pub async fn exec(&self, sql: &str) {
        self.conn
            .execute_raw(Statement::from_string(self.backend(), sql.to_owned()))
            .await
            .unwrap();
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
}

impl Session {
    pub fn from_reply(reply: &Reply) -> Option<Self> {
        reply
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("ls_session="))
            .and_then(|rest| rest.split(';').next())
            .filter(|t| !t.is_empty())
            .map(|t| Session {
                token: t.to_owned(),
            })
    }
}

#[derive(Clone)]
pub enum Caller {
    Anonymous,
    Admin(Session),
    CrossOrigin(Session),
    Key(String),
    /// A key presented from a given client address.
    KeyFromIp(String, String),
    RawAuthorization(String),
    FromIp(String),
}

impl Caller {
    fn ip(&self) -> &str {
        match self {
            Caller::FromIp(ip) | Caller::KeyFromIp(_, ip) => ip,
            _ => "192.0.2.10",
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($(#[$meta:meta])* $name:ident, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::common::Backend::Postgres).await
            }
        }
    };
}

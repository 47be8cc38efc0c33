//! The API Keys list with 100,000 keys in SQLite: p50/p95/p99 of `keys.list` (search + page)
//! through the real router, against a baseline measured in the same run (`keys.get` by id).

use std::{sync::Arc, time::Instant};

use app::server::{
    clock::SystemClock,
    db,
    entities::api_keys,
    state::Settings,
    vault::{Keyring, MasterKey},
    AppState,
};
use axum::body::Body;
use http::{header, Request};
use sea_orm::{EntityTrait, Set, TransactionTrait};
use tower::ServiceExt;

const KEYS: usize = 100_000;
const ROUNDS: usize = 400;
const CREATORS: [&str; 8] = [
    "Ann Admin",
    "Bob Builder",
    "Chen Li",
    "Dana Ops",
    "API key: Provisioner",
    "Émile Zola",
    "Fatima",
    "Greg",
];
const WORDS: [&str; 10] = [
    "WooCommerce",
    "Shopify",
    "Magento",
    "custom app",
    "staging",
    "EU shop",
    "US shop",
    "reporting",
    "plugin",
    "partner",
];

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    // LIST_BENCH_DB keeps the seeded database for inspection (e.g. EXPLAIN QUERY PLAN).
    let path = std::env::var("LIST_BENCH_DB")
        .unwrap_or_else(|_| format!("{}/list.db", dir.path().display()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{path}?mode=rwc");
    let conn = db::connect(&url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let started = Instant::now();
    seed(&conn).await;
    eprintln!(
        "seeded {KEYS} keys in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let ring = Keyring::new(
        MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
        vec![],
    );
    let state = AppState::start(conn, ring, Arc::new(SystemClock), Settings::default());
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), "<html></html>").unwrap();
    let router = server::router(
        state.clone(),
        Arc::new(server::Site::load(site.path()).unwrap()),
    );

    let setup = serde_json::json!({"email": "bench@example.com", "name": "Bench", "password": "benchmark password"});
    let res = router
        .clone()
        .oneshot(post("auth.setup", &setup.to_string(), None))
        .await
        .unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let call = |path: &'static str, body: String| {
        let router = router.clone();
        let cookie = cookie.clone();
        async move {
            let t = Instant::now();
            let res = router
                .oneshot(post(path, &body, Some(&cookie)))
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (t.elapsed().as_secs_f64() * 1000.0, bytes)
        }
    };
    let first = call("keys.list", "{}".into()).await.1;
    let page: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(page["total"], KEYS as u64);
    let some_id = page["items"][0]["id"].as_str().unwrap().to_owned();

    let queries = [
        "woo",
        "shop 4",
        "ann",
        "zola",
        "partner",
        "bob builder",
        "eu",
        "staging 9",
    ];
    let mut search = Vec::with_capacity(ROUNDS);
    let mut baseline = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let body = serde_json::json!({
            "query": queries[i % queries.len()],
            "page": 1 + (i % 5) as u64,
            "page_size": 25,
        });
        search.push(call("keys.list", body.to_string()).await.0);
        baseline.push(
            call("keys.get", serde_json::json!({"id": some_id}).to_string())
                .await
                .0,
        );
    }
    let (s, b) = (stats(&mut search), stats(&mut baseline));
    println!("keys.list with {KEYS} keys in SQLite, search + page (25 a page), {ROUNDS} calls through the router:");
    println!(
        "  search + page   p50 {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms",
        s.0, s.1, s.2
    );
    println!(
        "  baseline get    p50 {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms",
        b.0, b.1, b.2
    );
    println!(
        "  ratio (p95 search / p95 get): {:.1}x   target: p95 <= 15 ms -> {}",
        s.1 / b.1,
        if s.1 <= 15.0 { "met" } else { "NOT met" }
    );
    state.shutdown().await;
}

fn post(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req =
        Request::post(format!("/api/v1/{path}")).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).min(v.len()) - 1];
    (at(0.50), at(0.95), at(0.99))
}

async fn seed(conn: &sea_orm::DatabaseConnection) {
    let now = chrono::Utc::now().timestamp_millis();
    let mut i = 0;
    while i < KEYS {
        let txn = conn.begin().await.unwrap();
        let batch: Vec<api_keys::ActiveModel> = (i..(i + 500).min(KEYS))
            .map(|n| {
                let name = format!(
                    "{} {} {n}",
                    WORDS[n % WORDS.len()],
                    ["shop", "site", "store"][n % 3]
                );
                let creator = CREATORS[n % CREATORS.len()];
                let name_lower = name.to_lowercase();
                let used = (n % 3 != 0).then_some(now - (n as i64) * 1000);
                api_keys::ActiveModel {
                    id: Set(uuid::Uuid::now_v7().to_string()),
                    name: Set(name),
                    project: Set(Some(format!("shop{n}.example"))),
                    search_text: Set(format!("{name_lower}\n{}", creator.to_lowercase())),
                    name_lower: Set(name_lower),
                    start: Set("lsk_AbCd".into()),
                    last4: Set(format!("{:04}", n % 10_000)),
                    secret_hash: Set(format!("{:064x}", n)),
                    secret_ciphertext: Set(Some(vec![7u8; 58])),
                    secret_nonce: Set(Some(vec![1u8; 12])),
                    master_key_id: Set(Some("0000000000000000".into())),
                    recoverable: Set(true),
                    scopes: Set("keys:read".into()),
                    created_at: Set(now - (KEYS - n) as i64 * 60_000),
                    created_by_kind: Set(app::api::types::ActorKind::User),
                    created_by_id: Set(None),
                    created_by_label: Set(creator.into()),
                    updated_at: Set(now),
                    expires_at: Set(None),
                    disabled_at: Set(None),
                    rolled_at: Set(None),
                    previous_secret_hash: Set(None),
                    previous_secret_expires_at: Set(None),
                    rate_limit_per_minute: Set(None),
                    last_used_at: Set(used),
                    last_used_ip: Set(used.map(|_| "203.0.113.5".into())),
                    last_used_user_agent: Set(used.map(|_| "WooCommerce/8".into())),
                    usage_count: Set((n % 50) as i64),
                    ancestors: Set(String::new()),
                    allowed_cidrs: Set(String::new()),
                    leaked_at: Set(None),
                    leaked_url: Set(None),
                }
            })
            .collect();
        api_keys::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        i += 500;
    }
}

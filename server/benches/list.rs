//! The API Keys list with a million keys from 20 creators, on SQLite and on PostgreSQL:
//! p50/p95/p99 of `keys.list` (search + sort + page + total) through the real router, against
//! an outside baseline measured in the same run: a primary-key lookup of one key, by hand-written
//! SQL on a bare sqlx connection (no pool, no ORM, no router).
//!
//! `LIST_BENCH_KEYS` sets the number of keys (default 1,000,000); `LIST_BENCH_DB` keeps the
//! seeded SQLite file for inspection (e.g. EXPLAIN QUERY PLAN) and, when it exists, is used
//! again without seeding; `LIST_BENCH_PG` does the same with a PostgreSQL database URL (created
//! beforehand, kept); `LIST_BENCH_SLOW` prints every call slower than the target.
//! PostgreSQL is the server of `TEST_POSTGRES_URL`, skipped (and said so) when unreachable.

mod support;

use std::{sync::Arc, time::Instant};

use app::server::{
    clock::SystemClock,
    db,
    entities::api_keys,
    seed,
    state::Settings,
    vault::{Keyring, MasterKey},
    AppState,
};
use axum::body::Body;
use http::{header, Request};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use tower::ServiceExt;

const ROUNDS: usize = 480;
const TARGET_P95_MS: f64 = 25.0;
const CREATORS: [&str; 20] = [
    "Ann Admin",
    "Bob Builder",
    "Chen Li",
    "Dana Ops",
    "API key: Provisioner",
    "Émile Zola",
    "Fatima",
    "Greg",
    "Hana Sato",
    "Ivan Petrov",
    "Jo Support",
    "Kemal",
    "Lena Berg",
    "Marta Ruiz",
    "Nils",
    "Olu Ade",
    "API key: Shop sync",
    "Priya",
    "Quinn",
    "Rosa Ops",
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
/// Searches from broad to rare, one and two characters included (no trigram index for those).
/// "woocommerce shop 9": a few thousand matches, all at the end of the name order.
const QUERIES: [&str; 11] = [
    "",
    "woo",
    "woocommerce shop 9",
    "shop 4",
    "ann",
    "zola",
    "partner",
    "eu",
    "staging 9",
    "store 123457",
    "e",
];
const SORTS: [(&str, &str); 6] = [
    ("created", "desc"),
    ("last_used", "desc"),
    ("last_used", "asc"),
    ("expires", "asc"),
    ("expires", "desc"),
    ("name", "asc"),
];

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run());
}

async fn run() {
    let keys: u64 = std::env::var("LIST_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var("LIST_BENCH_DB")
        .unwrap_or_else(|_| format!("{}/list.db", dir.path().display()));
    // A kept database is used again as it is (seeding a million keys takes minutes).
    bench("SQLite", &format!("sqlite://{path}?mode=rwc"), keys).await;
    if let Ok(url) = std::env::var("LIST_BENCH_PG") {
        bench("PostgreSQL", &url, keys).await;
        return;
    }
    match support::ScratchPostgres::create().await {
        Ok(pg) => {
            bench("PostgreSQL", &pg.url, keys).await;
            pg.remove().await;
        }
        Err(e) => println!("PostgreSQL: skipped, cannot create a scratch database: {e}"),
    }
}

async fn bench(label: &str, url: &str, keys: u64) {
    let conn = db::connect(url).await.unwrap();
    let conn_backend = conn.get_database_backend();
    db::migrate(&conn).await.unwrap();
    // Only a kept database (`LIST_BENCH_DB`, `LIST_BENCH_PG`) has keys already.
    let seeded = api_keys::Entity::find().one(&conn).await.unwrap().is_some();
    if !seeded {
        let started = Instant::now();
        seed::many_keys(&conn, keys, &WORDS, &CREATORS).await;
        if conn_backend == DbBackend::Postgres {
            // What autovacuum does after such a load: statistics for the planner, and the
            // visibility map that lets index-only scans skip the table.
            conn.execute_unprepared("VACUUM ANALYZE api_keys")
                .await
                .unwrap();
        }
        eprintln!(
            "{label}: seeded {keys} keys in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }

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
    // A kept database has its admin already: sign in.
    let (first, body) = if seeded {
        let login = serde_json::json!({"email": setup["email"], "password": setup["password"]});
        ("auth.login", login)
    } else {
        ("auth.setup", setup)
    };
    let res = router
        .clone()
        .oneshot(post(first, &body.to_string(), None))
        .await
        .unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let call = |body: String| {
        let router = router.clone();
        let cookie = cookie.clone();
        async move {
            let t = Instant::now();
            let res = router
                .oneshot(post("keys.list", &body, Some(&cookie)))
                .await
                .unwrap();
            assert!(res.status().is_success(), "keys.list: {}", res.status());
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            let page: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            (t.elapsed().as_secs_f64() * 1000.0, page)
        }
    };
    // Each query once, unmeasured: its total as the list answers it.
    let trigram = if conn_backend == DbBackend::Postgres {
        let row = state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get_by_index::<i64>(0).unwrap() == 1 {
            ", pg_trgm index"
        } else {
            ", NO pg_trgm: searches scan"
        }
    } else {
        ""
    };
    println!(
        "keys.list with {keys} keys in {label} ({} creators{trigram}), totals as answered:",
        CREATORS.len()
    );
    for q in QUERIES {
        let page = call(serde_json::json!({ "query": q }).to_string()).await.1;
        println!(
            "  {:>14}  {}{}",
            format!("{q:?}"),
            if page["total_is_estimate"] == true {
                "about "
            } else {
                ""
            },
            page["total"]
        );
    }
    let some_id = call("{}".into()).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let show_slow = std::env::var("LIST_BENCH_SLOW").is_ok();
    let mut list = Vec::with_capacity(ROUNDS);
    let mut by_query = vec![Vec::new(); QUERIES.len()];
    let mut by_sort = vec![Vec::new(); SORTS.len()];
    let mut by_pair = std::collections::BTreeMap::<(usize, usize), Vec<f64>>::new();
    for i in 0..ROUNDS {
        let s = (i / QUERIES.len()) % SORTS.len();
        let (sort, order) = SORTS[s];
        let body = serde_json::json!({
            "query": QUERIES[i % QUERIES.len()],
            // Each query meets every page over the rounds.
            "page": 1 + ((i + i / QUERIES.len()) % 5) as u64,
            "page_size": 25,
            "sort": sort,
            "order": order,
        });
        let ms = call(body.to_string()).await.0;
        list.push(ms);
        by_query[i % QUERIES.len()].push(ms);
        if show_slow && ms > TARGET_P95_MS {
            println!("  slow: {ms:7.1} ms  {body}");
        }
        by_sort[s].push(ms);
        by_pair.entry((i % QUERIES.len(), s)).or_default().push(ms);
    }
    let baseline = raw_lookups(url, &some_id).await;
    let (l, b) = (stats(&mut list), stats(&mut baseline.clone()));
    println!(
        "  search + sort + page + total  p50 {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms  ({ROUNDS} calls through the router)",
        l.0, l.1, l.2
    );
    println!(
        "  baseline: raw SELECT by id    p50 {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms  (bare sqlx connection)",
        b.0, b.1, b.2
    );
    let p95s = |groups: &mut [Vec<f64>]| {
        groups
            .iter_mut()
            .map(|g| format!("{:.1}", stats(g).1))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!("  p95 by query ({QUERIES:?}): {} ms", p95s(&mut by_query));
    println!("  p95 by sort ({SORTS:?}): {} ms", p95s(&mut by_sort));
    // The overall p95 can hide a slow pair that is a small share of the mix.
    let mut pairs: Vec<(f64, usize, usize)> = by_pair
        .iter_mut()
        .map(|((q, s), times)| (stats(times).2, *q, *s))
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "  slowest query x sort (max of its pages): {}",
        pairs
            .iter()
            .take(3)
            .map(|(ms, q, s)| format!(
                "{:?} by {} {} {ms:.1} ms",
                QUERIES[*q], SORTS[*s].0, SORTS[*s].1
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  ratio (p95 list / p95 raw lookup): {:.1}x   target: p95 <= {TARGET_P95_MS} ms -> {}",
        l.1 / b.1,
        if l.1 <= TARGET_P95_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    state.shutdown().await;
}

/// The baseline: `ROUNDS` lookups of one key by primary key on a bare sqlx connection.
async fn raw_lookups(url: &str, id: &str) -> Vec<f64> {
    use sea_orm::sqlx::{self, Connection};
    let mut out = Vec::with_capacity(ROUNDS);
    macro_rules! run {
        ($conn:ty, $sql:literal) => {{
            let mut conn = <$conn>::connect(url).await.unwrap();
            for _ in 0..ROUNDS {
                let t = Instant::now();
                let row = sqlx::query($sql)
                    .bind(id)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
                assert!(row.is_some());
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }};
    }
    if url.starts_with("sqlite:") {
        run!(
            sqlx::SqliteConnection,
            "SELECT * FROM api_keys WHERE id = ?1"
        );
    } else {
        run!(sqlx::PgConnection, "SELECT * FROM api_keys WHERE id = $1");
    }
    out
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

//! In-process speed of the key paths, as ratios to SHA-256 of one key measured in the same run:
//! generation, parse + checksum, and verification (cache hit and miss) on SQLite; and cache
//! misses on SQLite and PostgreSQL as ratios to the raw SQL query they make.

#[path = "support/mod.rs"]
mod support;

use std::{hint::black_box, sync::Arc, time::Duration};

use app::{
    api::types::NewKey,
    server::{
        audit::Actor,
        clock::SystemClock,
        db,
        keys::verify::by_secret_hash_sql,
        state::Settings,
        vault::{format, Keyring, MasterKey},
        AppState,
    },
};
use criterion::Criterion;
use sha2::{Digest, Sha256};

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let pg = rt.block_on(support::ScratchPostgres::create());

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut results = Vec::new();
    let mut bench = |name: &str, c: &mut Criterion, f: &mut dyn FnMut()| {
        c.bench_function(name, |b| b.iter(&mut *f));
        results.push((name.to_owned(), mean_ns(name)));
    };

    let (state, presented) = rt.block_on(start(&sqlite));
    bench("baseline_sha256_of_a_key", &mut c, &mut || {
        black_box(Sha256::digest(black_box(presented.as_bytes())));
    });
    bench("generate_key", &mut c, &mut || {
        black_box(format::generate());
    });
    bench("parse_and_checksum", &mut c, &mut || {
        black_box(format::parse(black_box(&presented)).unwrap());
    });
    bench("verify_cache_hit_sqlite", &mut c, &mut || {
        let outcome = rt.block_on(state.keys.verify(&presented)).unwrap();
        assert!(outcome.is_ok());
    });
    verify_misses(
        &rt,
        (&state, &sqlite, &presented),
        "sqlite",
        &mut c,
        &mut bench,
    );
    rt.block_on(state.shutdown());
    match &pg {
        Ok(pg) => {
            let (state, presented) = rt.block_on(start(&pg.url));
            verify_misses(
                &rt,
                (&state, &pg.url, &presented),
                "postgres",
                &mut c,
                &mut bench,
            );
            rt.block_on(state.shutdown());
        }
        Err(e) => println!("PostgreSQL: skipped ({e})"),
    }
    c.final_summary();
    if let Ok(pg) = pg {
        rt.block_on(pg.remove());
    }

    let base = results[0].1;
    println!("\nratios to baseline (SHA-256 of one 42-byte key, {base:.0} ns), same run:");
    for (name, ns) in &results {
        println!("  {name:<36} {ns:>12.0} ns  {:>9.1}x", ns / base);
    }
    println!("\ncache misses against their statement on a bare connection (same run):");
    for db in ["sqlite", "postgres"] {
        let ns = |name: String| results.iter().find(|(n, _)| *n == name).map(|r| r.1);
        if let (Some(miss), Some(raw)) = (
            ns(format!("verify_cache_miss_{db}")),
            ns(format!("baseline_raw_select_by_hash_{db}")),
        ) {
            let target = if db == "sqlite" {
                "   (target: miss <= 60 us)"
            } else {
                ""
            };
            println!(
                "  {db:<9} miss {:>8.1} us   raw query {:>8.1} us   {:.2}x{target}",
                miss / 1000.0,
                raw / 1000.0,
                miss / raw
            );
        }
    }
}

/// Runs one named benchmark and records its mean.
type Bench<'a> = dyn FnMut(&str, &mut Criterion, &mut dyn FnMut()) + 'a;

/// A migrated database with 1,000 keys and one more to verify, whose secret is answered.
async fn start(url: &str) -> (AppState, String) {
    let conn = db::connect(url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let ring = Keyring::new(
        MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
        vec![],
    );
    let state = AppState::start(conn, ring, Arc::new(SystemClock), Settings::default());
    let actor = Actor::system("bench");
    for i in 0..1000 {
        state
            .keys
            .create(&actor, NewKey::named(format!("filler {i}")))
            .await
            .unwrap();
    }
    let secret = state
        .keys
        .create(&actor, NewKey::named("bench"))
        .await
        .unwrap()
        .1;
    (state, secret.expose().to_owned())
}

/// A verification that misses the cache, and its baseline: the same statement run on a bare
/// sqlx connection of its own (no pool, no ORM), which a miss cannot beat.
fn verify_misses(
    rt: &tokio::runtime::Runtime,
    (state, url, presented): (&AppState, &str, &str),
    db: &str,
    c: &mut Criterion,
    bench: &mut Bench,
) {
    use sea_orm::sqlx::{self, Connection};
    let hash = app::server::vault::hash_secret(&format::parse(presented).unwrap());
    let sql = by_secret_hash_sql(state.db.get_database_backend());
    let baseline = format!("baseline_raw_select_by_hash_{db}");
    if db == "postgres" {
        let mut conn = rt.block_on(sqlx::PgConnection::connect(url)).unwrap();
        bench(&baseline, c, &mut || {
            let row = rt.block_on(sqlx::query(sql).bind(&hash).fetch_optional(&mut conn));
            assert!(row.unwrap().is_some());
        });
    } else {
        let mut conn = rt.block_on(sqlx::SqliteConnection::connect(url)).unwrap();
        bench(&baseline, c, &mut || {
            let row = rt.block_on(sqlx::query(sql).bind(&hash).fetch_optional(&mut conn));
            assert!(row.unwrap().is_some());
        });
    }
    state.keys.cache().set_enabled(false);
    bench(&format!("verify_cache_miss_{db}"), c, &mut || {
        let outcome = rt.block_on(state.keys.verify(presented)).unwrap();
        assert!(outcome.is_ok());
    });
    state.keys.cache().set_enabled(true);
}

/// Criterion's mean estimate for `name`, from its output directory.
fn mean_ns(name: &str) -> f64 {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_owned());
    let path = format!("{dir}/criterion/{name}/new/estimates.json");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["mean"]["point_estimate"].as_f64())
        .unwrap_or(f64::NAN)
}

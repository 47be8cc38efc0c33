//! In-process speed of the key paths, as ratios to SHA-256 of one key measured in the same run:
//! generation, parse + checksum, and verification (cache hit and miss) on SQLite.

use std::{hint::black_box, sync::Arc, time::Duration};

use app::{
    api::types::NewKey,
    server::{
        audit::Actor,
        clock::SystemClock,
        db,
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
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let state = rt.block_on(async {
        let conn = db::connect(&url).await.unwrap();
        db::migrate(&conn).await.unwrap();
        let ring = Keyring::new(
            MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
            vec![],
        );
        AppState::start(conn, ring, Arc::new(SystemClock), Settings::default())
    });
    let secret = rt.block_on(async {
        let actor = Actor::system("bench");
        let input = |name: &str| NewKey {
            name: name.into(),
            project: None,
            expires_at: None,
            scopes: vec![],
            recoverable: true,
            rate_limit_per_minute: None,
            allowed_cidrs: vec![],
        };
        for i in 0..1000 {
            state
                .keys
                .create(&actor, input(&format!("filler {i}")))
                .await
                .unwrap();
        }
        state.keys.create(&actor, input("bench")).await.unwrap().1
    });
    let presented = secret.expose().to_owned();

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut results = Vec::new();
    let mut bench = |name: &str, c: &mut Criterion, f: &mut dyn FnMut()| {
        c.bench_function(name, |b| b.iter(&mut *f));
        results.push((name.to_owned(), mean_ns(name)));
    };

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
    state.keys.cache().set_enabled(false);
    bench("verify_cache_miss_sqlite", &mut c, &mut || {
        let outcome = rt.block_on(state.keys.verify(&presented)).unwrap();
        assert!(outcome.is_ok());
    });
    c.final_summary();

    let base = results[0].1;
    println!("\nratios to baseline (SHA-256 of one 42-byte key, {base:.0} ns), same run:");
    for (name, ns) in &results {
        println!("  {name:<28} {ns:>12.0} ns  {:>9.1}x", ns / base);
    }
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

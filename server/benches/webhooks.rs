//! What webhooks cost the change that causes them: a bulk delete of 500 keys, timed with one
//! endpoint subscribed to `key.deleted` (500 messages written in its transaction, delivered by
//! the worker meanwhile to a local receiver) and without any endpoint, in alternating rounds on
//! SQLite and on PostgreSQL. Prints medians and the ratio (the budget: at most 2×).

#[path = "support/mod.rs"]
mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use app::{
    api::{types::NewKey, webhooks::types::WebhookEvent},
    server::{
        audit::Actor,
        clock::SystemClock,
        db,
        state::Settings,
        vault::{Keyring, MasterKey},
        webhooks::{target::TargetPolicy, DeliverySettings},
        AppState,
    },
};

const KEYS: usize = 500;
const ROUNDS: usize = 5;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let receiver = receiver().await;
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
        run("SQLite", &sqlite, &receiver).await;
        match support::ScratchPostgres::create().await {
            Ok(pg) => {
                run("PostgreSQL", &pg.url, &receiver).await;
                pg.remove().await;
            }
            Err(e) => println!("PostgreSQL: skipped ({e})"),
        }
    });
}

/// A local receiver answering 204 to everything.
async fn receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { http::StatusCode::NO_CONTENT });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hooks")
}

async fn run(label: &str, url: &str, receiver: &str) {
    let conn = db::connect(url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let ring = Keyring::new(
        MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
        vec![],
    );
    let settings = Settings {
        webhooks: DeliverySettings {
            targets: TargetPolicy {
                allow_insecure: true,
                allow_private: true,
            },
            poll_interval: Duration::from_millis(200),
            ..Default::default()
        },
        ..Settings::default()
    };
    let state = AppState::start(conn, ring, Arc::new(SystemClock), settings);
    let actor = Actor::system("bench");
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS * 2 {
        let subscribed = round % 2 == 0;
        let endpoint = if subscribed {
            Some(
                state
                    .webhooks
                    .create(&actor, receiver, &[WebhookEvent::KeyDeleted], "")
                    .await
                    .unwrap()
                    .0
                    .id,
            )
        } else {
            None
        };
        let mut ids = Vec::with_capacity(KEYS);
        for i in 0..KEYS {
            let input = NewKey {
                recoverable: false,
                ..NewKey::named(format!("k{round}-{i}"))
            };
            ids.push(state.keys.create(&actor, input).await.unwrap().0.id);
        }
        let started = Instant::now();
        let deleted = state.keys.bulk_delete(&actor, &ids, false).await.unwrap();
        let took = started.elapsed();
        assert_eq!(deleted as usize, KEYS);
        if let Some(id) = endpoint {
            with.push(took);
            // Let the worker send the 500 before the next round.
            tokio::time::sleep(Duration::from_secs(2)).await;
            state.webhooks.delete(&actor, &id).await.unwrap();
        } else {
            without.push(took);
        }
    }
    state.shutdown().await;
    let (w, wo) = (median(&mut with), median(&mut without));
    println!(
        "{label}: bulk delete of {KEYS} keys: {:.1} ms with a key.deleted endpoint, {:.1} ms without (median of {ROUNDS}); ratio {:.2}× (budget 2×)",
        w.as_secs_f64() * 1000.0,
        wo.as_secs_f64() * 1000.0,
        w.as_secs_f64() / wo.as_secs_f64()
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

//! Lists past the exact count: the total of a broad search is estimated and says so; a narrow
//! one is still counted exactly; pages stay right either way.

use app::{api::types::EXACT_TOTAL_UP_TO, server::seed};
use serde_json::{json, Value};

use crate::{
    common::{Backend, Caller, TestApp},
    on_both,
};

/// Three times the exact-count limit: a third (never used) is the limit itself.
const KEYS: u64 = 3 * EXACT_TOTAL_UP_TO;
const WORDS: [&str; 4] = ["WooCommerce", "Shopify", "Magento", "staging"];

async fn list(app: &TestApp, admin: &Caller, body: Value) -> Value {
    let r = app.call("keys.list", body, admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// `estimate` is within a fifth of `truth`, and above the exact count's limit.
fn near(estimate: &Value, truth: u64) {
    let estimate = estimate.as_u64().unwrap();
    assert!(estimate > EXACT_TOTAL_UP_TO, "{estimate}");
    let off = estimate.abs_diff(truth) as f64 / truth as f64;
    assert!(off < 0.2, "estimated {estimate} for {truth}");
}

/// An admin and [`KEYS`] keys, with the statistics autovacuum would gather after such a load
/// (PostgreSQL's planner estimates from them).
async fn seeded(backend: Backend) -> (TestApp, Caller) {
    let app = TestApp::new(backend).await;
    let admin = Caller::Admin(app.setup_admin().await);
    seed::many_keys(&app.conn, KEYS, &WORDS, &["Ann Admin", "Bob Builder"]).await;
    if backend == Backend::Postgres {
        app.exec("ANALYZE api_keys").await;
    }
    (app, admin)
}

on_both!(
    a_broad_search_estimates_its_total_and_a_narrow_one_counts_it,
    |backend| async move {
        let (app, admin) = seeded(backend).await;
        let all = list(&app, &admin, json!({"page_size": 25})).await;
        assert_eq!(all["total_is_estimate"], true);
        near(&all["total"], KEYS);
        assert_eq!(all["items"].as_array().unwrap().len(), 25);

        // "shop": Shopify (one in four) or a shop (one in three): half the keys. Asked again and
        // again: the estimate must not change when a pooled connection reuses its statement.
        for query in ["shop", "sh"] {
            for _ in 0..8 {
                let broad = list(&app, &admin, json!({"query": query})).await;
                assert_eq!(broad["total_is_estimate"], true, "{query}");
                near(&broad["total"], KEYS / 2);
            }
        }

        // "woo": one key in four, 7,500, below the limit: exact, as before.
        let woo = list(&app, &admin, json!({"query": "woo"})).await;
        assert_eq!(woo["total_is_estimate"], false);
        assert_eq!(woo["total"], KEYS / 4);
        // One key.
        let one = list(&app, &admin, json!({"query": "staging store 12347"})).await;
        assert_eq!(
            (one["total"].clone(), one["total_is_estimate"].clone()),
            (json!(1), json!(false))
        );

        // A filter with a broad search, counted: never used is one key in three (n % 3 = 0), and
        // every one of them is a shop: 10,000, the limit itself.
        let never = list(
            &app,
            &admin,
            json!({"query": "shop", "filter": "never_used"}),
        )
        .await;
        assert_eq!(never["total_is_estimate"], false);
        assert_eq!(never["total"], KEYS / 3);

        // The pages of an estimated list are the sorted keys, 25 at a time, with no overlap.
        let body = |page: u64| json!({"query": "shop", "sort": "last_used", "order": "desc", "page": page, "page_size": 25});
        let (first, second) = (
            list(&app, &admin, body(1)).await,
            list(&app, &admin, body(2)).await,
        );
        let ids = |p: &Value| -> Vec<String> {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));
        let used: Vec<&str> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["items"].as_array().unwrap())
            .map(|k| k["last_used_at"].as_str().unwrap())
            .collect();
        assert!(
            used.windows(2).all(|w| w[0] >= w[1]),
            "most recently used first: {used:?}"
        );
    }
);

on_both!(
    an_estimate_never_outlives_a_page_that_shows_the_end,
    |backend| async move {
        let (app, admin) = seeded(backend).await;
        // Only one key in four expires, all of them n % 4 = 0; Shopify is n % 4 = 1. The planner
        // multiplies the two conditions' shares and expects thousands; there are none.
        let none = list(
            &app,
            &admin,
            json!({"query": "shopify", "filter": "expired"}),
        )
        .await;
        assert_eq!(none["items"].as_array().unwrap().len(), 0);
        assert_eq!(
            (none["total"].clone(), none["total_is_estimate"].clone()),
            (json!(0), json!(false))
        );
        // Every key, estimated; but the short last page shows where the list ends.
        let size = 70;
        let page = KEYS.div_ceil(size);
        let last = list(&app, &admin, json!({"page_size": size, "page": page})).await;
        assert_eq!(
            last["items"].as_array().unwrap().len() as u64,
            KEYS - (page - 1) * size
        );
        assert_eq!(
            (last["total"].clone(), last["total_is_estimate"].clone()),
            (json!(KEYS), json!(false))
        );
    }
);

on_both!(
    the_list_indexes_migrate_down_and_up_again,
    |backend| async move {
        use migration::{Migrator, MigratorTrait};
        let app = TestApp::new(backend).await;
        Migrator::down(&app.conn, Some(1)).await.unwrap();
        Migrator::up(&app.conn, None).await.unwrap();
        let admin = Caller::Admin(app.setup_admin().await);
        let sorted = list(&app, &admin, json!({"sort": "expires", "order": "asc"})).await;
        assert_eq!(sorted["total"], 0);
    }
);

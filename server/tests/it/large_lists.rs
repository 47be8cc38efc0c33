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

/// The key names on a list page.
fn names_on(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect()
}

/// Page `page` of `size` keys, as `caller` lists them for `body`, holds the names `all` (the
/// whole list in order) has there.
async fn assert_page(
    app: &TestApp,
    caller: &Caller,
    mut body: Value,
    (page, size): (u64, u64),
    all: &[String],
    context: &str,
) {
    body["page"] = json!(page);
    body["page_size"] = json!(size);
    let got = list(app, caller, body.clone()).await;
    let from = (((page - 1) * size) as usize).min(all.len());
    let want = &all[from..(from + size as usize).min(all.len())];
    assert_eq!(names_on(&got), want, "{context}: {body}");
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
    seeded_with(backend, KEYS).await
}

async fn seeded_with(backend: Backend, keys: u64) -> (TestApp, Caller) {
    let app = TestApp::new(backend).await;
    let admin = Caller::Admin(app.setup_admin().await);
    seed::many_keys(&app.conn, keys, &WORDS, &["Ann Admin", "Bob Builder"]).await;
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

        // The last page there can be: empty, not an error (a broad search, more matches than
        // are counted, walks first).
        let far = list(&app, &admin, json!({"query": "shop", "page": i64::MAX})).await;
        assert_eq!(far["items"], json!([]));
        assert_eq!(far["total_is_estimate"], true);
        near(&far["total"], KEYS / 2);

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
        // Through the connection schema changes take (one, on SQLite): spread over the pool,
        // the down's re-creation of the index the up dropped could meet a connection whose
        // cached schema still holds it ("index api_keys_expires_at_idx already exists").
        let one = app::server::db::schema_connection(&app.conn).await.unwrap();
        // Two: the search index's sort keys (m0014), then the sort indexes (m0013).
        Migrator::down(&one, Some(2)).await.unwrap();
        Migrator::up(&one, None).await.unwrap();
        let admin = Caller::Admin(app.setup_admin().await);
        let sorted = list(&app, &admin, json!({"sort": "expires", "order": "asc"})).await;
        assert_eq!(sorted["total"], 0);
    }
);

on_both!(
    matches_bunched_at_the_end_of_the_sort_order_are_paged_right,
    |backend| async move {
        use app::server::keys::list::{fetch_at_most, WALK_AT_MOST};
        // Every "WooCommerce…" name (a key in four) sorts after the other words: walking the
        // names from the start passes every other key first, more than a first walk may pass.
        // With fewer matches than the backend's `fetch_at_most` they are fetched and sorted
        // (from SQLite's index rows, from the table on PostgreSQL); with more, the walk goes on.
        // Descending, the walk finds them at once. All must agree with the names sorted here.
        let fetched = fetch_at_most(Backend::db(backend));
        for keys in [KEYS, 4 * (fetched + 2_000)] {
            let (app, admin) = seeded_with(backend, keys).await;
            // The seed's formulas: key n is named "{WORDS[n % 4]} {shop|site|store} {n}" and
            // its id follows n; one key in four (n % 4 = 0) expires, on day n % 400; a key was
            // used n seconds ago unless n % 3 = 0 (never).
            let name = |n: u64| {
                format!(
                    "{} {} {n}",
                    WORDS[n as usize % 4],
                    ["shop", "site", "store"][n as usize % 3]
                )
            };
            let mut names: Vec<String> = (0..keys).filter(|n| n % 4 == 0).map(name).collect();
            names.sort_by_key(|n| n.to_lowercase());
            assert!(
                keys - names.len() as u64 > WALK_AT_MOST,
                "the first walk must end short"
            );
            let size = 25;
            let last = (names.len() as u64).div_ceil(size);
            let reversed = names.iter().rev().cloned().collect();
            for (order, expected) in [("asc", &names), ("desc", &reversed)] {
                for page in [1, 2, last / 2, last] {
                    let body = json!({"query": "woo", "sort": "name", "order": order});
                    let context = format!("{keys} keys");
                    assert_page(&app, &admin, body, (page, size), expected, &context).await;
                }
            }
            // The other sorts, NULLs included: never expiring sorts as the latest expiry, never
            // used as the oldest use.
            let sorted_by = |matches: &dyn Fn(u64) -> bool, key: &dyn Fn(u64) -> (u64, i64)| {
                let mut ns: Vec<u64> = (0..keys).filter(|n| matches(*n)).collect();
                ns.sort_by_key(|n| (key(*n), *n));
                ns.into_iter().map(name).collect::<Vec<_>>()
            };
            // "site" (n % 3 = 1): some expire, most never.
            let expires = sorted_by(&|n| n % 3 == 1, &|n| match n % 4 {
                0 => (0, (n % 400) as i64),
                _ => (1, 0),
            });
            // "woo" (n % 4 = 0): never used first (by id), then the longest ago (largest n).
            let used = sorted_by(&|n| n % 4 == 0, &|n| match n % 3 {
                0 => (0, n as i64),
                _ => (1, -(n as i64)),
            });
            for (query, sort, asc) in [("site", "expires", &expires), ("woo", "last_used", &used)] {
                let desc: Vec<String> = asc.iter().rev().cloned().collect();
                for (order, expected) in [("asc", asc), ("desc", &desc)] {
                    let last = (expected.len() as u64).div_ceil(size);
                    for page in [1, last] {
                        let body = json!({"query": query, "sort": sort, "order": order});
                        let context = format!("{keys} keys");
                        assert_page(&app, &admin, body, (page, size), expected, &context).await;
                    }
                }
            }
            // An API key searches names only, through the same walks.
            let (_, secret) = app
                .create_key(&admin, json!({"name": "Reader", "scopes": ["keys:read"]}))
                .await;
            let reader = Caller::Key(secret);
            let expires_desc: Vec<String> = expires.iter().rev().cloned().collect();
            for (query, sort, order, expected) in [
                ("woo", "name", "asc", &names),
                ("site", "expires", "desc", &expires_desc),
            ] {
                let body = json!({"query": query, "sort": sort, "order": order});
                let context = format!("{keys} keys, API key");
                assert_page(&app, &reader, body, (2, size), expected, &context).await;
            }
            // A filter too: never used is n % 3 = 0, the shops.
            let never = list(
                &app,
                &admin,
                json!({"query": "woo", "filter": "never_used", "sort": "name", "order": "asc", "page_size": 5}),
            )
            .await;
            let want: Vec<&String> = names
                .iter()
                .filter(|n| n.contains(" shop "))
                .take(5)
                .collect();
            assert_eq!(names_on(&never), want, "{keys} keys");
            // Their totals, each counted or estimated by its size: the filtered one counted
            // through the index.
            let shops = names.iter().filter(|n| n.contains(" shop ")).count();
            if shops as u64 <= EXACT_TOTAL_UP_TO {
                assert_eq!(
                    (never["total"].clone(), never["total_is_estimate"].clone()),
                    (json!(shops), json!(false)),
                    "{keys} keys"
                );
            } else {
                assert_eq!(never["total_is_estimate"], true, "{keys} keys");
                near(&never["total"], shops as u64);
            }
            let woo = list(&app, &admin, json!({"query": "woo"})).await;
            if names.len() as u64 <= EXACT_TOTAL_UP_TO {
                assert_eq!(woo["total"], json!(names.len()), "{keys} keys");
            } else {
                assert_eq!(woo["total_is_estimate"], true, "{keys} keys");
                near(&woo["total"], names.len() as u64);
            }
        }
    }
);

on_both!(
    searched_pages_follow_every_change_to_a_key,
    |backend| async move {
        // A search tests and sorts its matches by the search index's copy of their search text
        // and sort keys (SQLite) or by the table itself (PostgreSQL); an unsearched list walks
        // the table. After renames, a use, a disable and a new expiry, both must still agree for
        // every sort and filter.
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let mut keys = Vec::new();
        for name in [
            "Alpha c", "Alpha a", "Alpha e", "Alpha b", "Alpha d", "Gamma",
        ] {
            let body = json!({"name": name, "scopes": ["keys:read"]});
            keys.push(app.create_key(&admin, body).await);
        }
        let call = |path: &'static str, body: Value| {
            let app = &app;
            let admin = &admin;
            async move {
                let r = app.call(path, body, admin).await;
                assert_eq!(r.status, 200, "{path}: {}", r.text);
            }
        };
        call("keys.update", json!({"id": keys[2].0, "name": "Alpha 0"})).await;
        // Renamed into the search: every key is an "Alpha" now.
        call("keys.update", json!({"id": keys[5].0, "name": "Alpha f"})).await;
        let soon = chrono::Utc::now() + chrono::Duration::days(2);
        call("keys.update", json!({"id": keys[0].0, "expires_at": soon})).await;
        call("keys.disable", json!({"id": keys[3].0})).await;
        let used = app
            .call("whoami", json!({}), &Caller::Key(keys[4].1.clone()))
            .await;
        assert_eq!(used.status, 200, "{}", used.text);
        app.flush_usage().await;

        use app::api::types::{KeyFilter, SortField};
        for filter in KeyFilter::ALL.map(|f| json!(f)) {
            for sort in SortField::ALL.map(|s| json!(s)) {
                for order in ["asc", "desc"] {
                    let body = json!({"filter": filter, "sort": sort, "order": order});
                    let table = list(&app, &admin, body.clone()).await;
                    let mut searched_body = body.clone();
                    searched_body["query"] = json!("alpha");
                    let searched = list(&app, &admin, searched_body).await;
                    assert_eq!(names_on(&searched), names_on(&table), "{body}");
                    assert_eq!(searched["total"], table["total"], "{body}");
                }
            }
        }
        // And the changes are there to be found: the renamed key first by name, the used one
        // first by last use.
        for (sort, order, first) in [("name", "asc", "Alpha 0"), ("last_used", "desc", "Alpha d")] {
            let body = json!({"query": "alpha", "sort": sort, "order": order});
            let page = list(&app, &admin, body).await;
            assert_eq!(names_on(&page)[0], first, "{sort} {order}");
        }
    }
);

//! Mixed-traffic load test (`make load`): integrators (whoami, verify) and admins (list, create,
//! delete) at 64 connections for 60 s against the release server. Passes only with zero 5xx,
//! zero lost writes and RSS growth under 10 % after warm-up. First, whether reads wait on
//! writes: whoami's p99 alone, then while 64 connections create and delete keys (recorded,
//! not judged: the bench reports, it does not time-test).

#[path = "support/mod.rs"]
mod support;

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::Instant,
};

use http::Method;
use serde_json::json;
use support::{env_secs, ms_since, percentiles, Server};

const CONNECTIONS: usize = 64;
const OPS: [&str; 5] = [
    "whoami",
    "keys.verify",
    "keys.list",
    "keys.create",
    "keys.delete",
];

#[derive(Default)]
struct Tally {
    latencies: [Vec<f64>; 5],
    server_errors: usize,
    other_failures: usize,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let ok = tokio::runtime::Runtime::new().unwrap().block_on(run());
    if !ok {
        std::process::exit(1);
    }
}

async fn run() -> bool {
    let server = Arc::new(
        Server::start(
            std::env::var("LOAD_DATABASE_URL").ok(),
            CONNECTIONS + READERS,
        )
        .await,
    );
    let cookie = server.setup_admin().await;
    let (probe_id, integrator) = server
        .create_key(
            &cookie,
            r#"{"name":"integrator","scopes":["keys:read","keys:verify"]}"#,
        )
        .await;
    let mut candidates = Vec::new();
    for i in 0..50 {
        candidates.push(
            server
                .create_key(&cookie, &format!(r#"{{"name":"customer {i}"}}"#))
                .await
                .1,
        );
    }
    let candidates = Arc::new(candidates);
    let reads_ok = reads_during_writes(&server, (&cookie, &integrator, &probe_id)).await;
    let warm = env_secs("LOAD_WARMUP_SECS", 10);
    let measure = env_secs("LOAD_SECS", 60);
    println!(
        "mixed load: {CONNECTIONS} connections, {}s warm-up + {}s measured",
        warm.as_secs(),
        measure.as_secs()
    );

    let created = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let deleted = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let measure_from = Instant::now() + warm;
    let end = measure_from + measure;
    let rss_sampler = {
        let server = server.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let start = server.rss_kib();
            let mut peak = start.0;
            while Instant::now() < end {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                peak = peak.max(server.rss_kib().0);
            }
            (start, server.rss_kib(), peak)
        })
    };
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|w| {
            let (server, cookie, integrator, candidates) = (
                server.clone(),
                cookie.clone(),
                integrator.clone(),
                candidates.clone(),
            );
            let (created, deleted) = (created.clone(), deleted.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut mine: Vec<String> = Vec::new();
                let bearer = format!("Bearer {integrator}");
                for i in 0usize.. {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    // 50 % whoami, 25 % verify, 15 % list, 5 % create, 5 % delete.
                    let roll = (i * 7 + w * 13) % 20;
                    let op = match roll {
                        0..=9 => 0,
                        10..=14 => 1,
                        15..=17 => 2,
                        18 => 3,
                        _ if !mine.is_empty() => 4,
                        _ => 3,
                    };
                    let result = match op {
                        0 => {
                            server
                                .send(
                                    Method::POST,
                                    "/api/v1/whoami",
                                    "",
                                    &[("authorization", &bearer)],
                                )
                                .await
                        }
                        1 => {
                            let body = json!({"key": candidates[i % candidates.len()]}).to_string();
                            server
                                .send(
                                    Method::POST,
                                    "/api/v1/keys.verify",
                                    &body,
                                    &[("authorization", &bearer)],
                                )
                                .await
                        }
                        2 => {
                            let body =
                                json!({"query": format!("customer {}", i % 5), "page": 1 + i % 3})
                                    .to_string();
                            server
                                .send(
                                    Method::POST,
                                    "/api/v1/keys.list",
                                    &body,
                                    &[("cookie", &cookie)],
                                )
                                .await
                        }
                        3 => {
                            let body = json!({"name": format!("load {w}-{i}")}).to_string();
                            server
                                .send(
                                    Method::POST,
                                    "/api/v1/keys.create",
                                    &body,
                                    &[("cookie", &cookie)],
                                )
                                .await
                        }
                        _ => {
                            let id = mine.remove(0);
                            let body = json!({"id": id}).to_string();
                            let r = server
                                .send(
                                    Method::POST,
                                    "/api/v1/keys.delete",
                                    &body,
                                    &[("cookie", &cookie)],
                                )
                                .await;
                            if matches!(&r, Ok((s, _, _)) if s.is_success()) {
                                deleted.lock().unwrap().insert(id);
                            }
                            r
                        }
                    };
                    match result {
                        Ok((status, _, body)) => {
                            if status.is_server_error() {
                                tally.server_errors += 1;
                            } else if !status.is_success() {
                                tally.other_failures += 1;
                            } else if op == 3 {
                                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                                let id = v["key"]["id"].as_str().unwrap().to_owned();
                                created.lock().unwrap().insert(id.clone());
                                mine.push(id);
                            }
                        }
                        Err(_) => tally.other_failures += 1,
                    }
                    if now >= measure_from {
                        tally.latencies[op].push(ms_since(now));
                    }
                }
                tally
            })
        })
        .collect();

    let mut total = Tally::default();
    for w in workers {
        let t = w.await.unwrap();
        for (all, mine) in total.latencies.iter_mut().zip(t.latencies) {
            all.extend(mine);
        }
        total.server_errors += t.server_errors;
        total.other_failures += t.other_failures;
    }
    let (rss_start, rss_end, rss_peak) = rss_sampler.await.unwrap();
    let requests: usize = total.latencies.iter().map(Vec::len).sum();
    println!(
        "  {:>9.0} req/s overall, {} requests measured",
        requests as f64 / measure.as_secs_f64(),
        requests
    );
    for (name, lat) in OPS.iter().zip(total.latencies) {
        let n = lat.len();
        let (p50, p99, max) = percentiles(lat);
        println!(
            "  {name:<12} {n:>8} calls   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   max {max:>7.2} ms"
        );
    }

    // Every acknowledged create exists unless its delete was acknowledged; no deleted key remains.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut present = BTreeSet::new();
    for page in 1.. {
        let body = json!({"page": page, "page_size": 100, "sort": "name"}).to_string();
        let (_, _, bytes) = server
            .send(
                Method::POST,
                "/api/v1/keys.list",
                &body,
                &[("cookie", &cookie)],
            )
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let items = v["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        present.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
    }
    let (created, deleted) = (
        created.lock().unwrap().clone(),
        deleted.lock().unwrap().clone(),
    );
    let lost = created
        .difference(&deleted)
        .filter(|id| !present.contains(*id))
        .count();
    let resurrected = deleted.intersection(&present).count();
    let growth = (rss_end.0 as f64 / rss_start.0.max(1) as f64 - 1.0) * 100.0;
    let heap_growth = (rss_end.1 as f64 / rss_start.1.max(1) as f64 - 1.0) * 100.0;
    println!(
        "  5xx: {}   other failures: {}",
        total.server_errors, total.other_failures
    );
    println!(
        "  writes: {} creates, {} deletes acknowledged; lost {lost}, resurrected {resurrected}",
        created.len(),
        deleted.len()
    );
    println!(
        "  server RSS after warm-up {} KiB, at end {} KiB (peak {rss_peak} KiB): growth {growth:+.1}% (limit 10%)",
        rss_start.0, rss_end.0
    );
    println!(
        "  of which heap (RssAnon): {} KiB -> {} KiB: {heap_growth:+.1}%",
        rss_start.1, rss_end.1
    );
    let ok = reads_ok && total.server_errors == 0 && lost == 0 && resurrected == 0 && growth < 10.0;
    println!("  {}", if ok { "PASS" } else { "FAIL" });
    ok
}

/// Connections reading while the writers write.
const READERS: usize = 8;
/// Connections creating and deleting keys meanwhile.
const WRITERS: usize = 64;

/// What the readers read: whoami (an integrator's call, its key cached) or one key by id with
/// an admin session (the session and the key read from the database on every call).
#[derive(Clone, Copy)]
enum Read {
    Whoami,
    KeyById,
}

#[derive(Default)]
struct Phase {
    latencies: Vec<f64>,
    writes: usize,
    write_failures: usize,
    server_errors: usize,
}

/// Latencies of `read` from [`READERS`] connections over `secs`, with [`WRITERS`] connections
/// creating and deleting keys meanwhile when `writers`.
async fn reads_while(
    server: &Arc<Server>,
    (cookie, integrator, key_id): (&str, &str, &str),
    read: Read,
    writers: bool,
    secs: std::time::Duration,
) -> Phase {
    let end = Instant::now() + secs;
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let server = server.clone();
            let (path, body, header) = match read {
                Read::Whoami => (
                    "/api/v1/whoami",
                    String::new(),
                    ("authorization", format!("Bearer {integrator}")),
                ),
                Read::KeyById => (
                    "/api/v1/keys.get",
                    json!({"id": key_id}).to_string(),
                    ("cookie", cookie.to_owned()),
                ),
            };
            tokio::spawn(async move {
                let (mut lat, mut server_errors) = (Vec::new(), 0);
                while Instant::now() < end {
                    let t = Instant::now();
                    let r = server
                        .send(Method::POST, path, &body, &[(header.0, &header.1)])
                        .await;
                    match r {
                        Ok((s, _, _)) if s.is_success() => lat.push(ms_since(t)),
                        Ok((s, _, _)) if s.is_server_error() => server_errors += 1,
                        other => panic!("{path} failed: {:?}", other.map(|r| r.0)),
                    }
                }
                (lat, server_errors)
            })
        })
        .collect();
    let writers: Vec<_> = (0..if writers { WRITERS } else { 0 })
        .map(|w| {
            let (server, cookie) = (server.clone(), cookie.to_owned());
            tokio::spawn(async move {
                let mut tally = Phase::default();
                let headers = [("cookie", cookie.as_str())];
                for i in 0usize.. {
                    if Instant::now() >= end {
                        break;
                    }
                    let body = json!({"name": format!("writer {w}-{i}")}).to_string();
                    let created = server
                        .send(Method::POST, "/api/v1/keys.create", &body, &headers)
                        .await;
                    let id = match &created {
                        Ok((s, _, bytes)) if s.is_success() => {
                            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                            v["key"]["id"].clone()
                        }
                        Ok((s, _, _)) => {
                            tally.server_errors += usize::from(s.is_server_error());
                            tally.write_failures += 1;
                            continue;
                        }
                        Err(_) => {
                            tally.write_failures += 1;
                            continue;
                        }
                    };
                    tally.writes += 1;
                    let body = json!({"id": id}).to_string();
                    match server
                        .send(Method::POST, "/api/v1/keys.delete", &body, &headers)
                        .await
                    {
                        Ok((s, _, _)) if s.is_success() => tally.writes += 1,
                        Ok((s, _, _)) => {
                            tally.server_errors += usize::from(s.is_server_error());
                            tally.write_failures += 1;
                        }
                        Err(_) => tally.write_failures += 1,
                    }
                }
                tally
            })
        })
        .collect();
    let mut phase = Phase::default();
    for r in readers {
        let (lat, errors) = r.await.unwrap();
        phase.latencies.extend(lat);
        phase.server_errors += errors;
    }
    for w in writers {
        let t = w.await.unwrap();
        phase.writes += t.writes;
        phase.write_failures += t.write_failures;
        phase.server_errors += t.server_errors;
    }
    phase
}

/// Reads never wait on writes: each read's p99 alone and during [`WRITERS`] concurrent writers
/// (after a warm-up of both). Answers whether no call failed with a 5xx.
async fn reads_during_writes(server: &Arc<Server>, who: (&str, &str, &str)) -> bool {
    let secs = env_secs("LOAD_RW_SECS", 10);
    let warm = std::time::Duration::from_secs(2);
    println!(
        "reads during writes ({}s each, {READERS} reading connections, {WRITERS} writing):",
        secs.as_secs()
    );
    let mut ok = true;
    for (read, name) in [(Read::Whoami, "whoami"), (Read::KeyById, "keys.get")] {
        reads_while(server, who, read, true, warm).await;
        let alone = reads_while(server, who, read, false, secs).await;
        let busy = reads_while(server, who, read, true, secs).await;
        let (n_alone, n_busy) = (alone.latencies.len(), busy.latencies.len());
        let (p99_alone, p99_busy) = (
            percentiles(alone.latencies).1,
            percentiles(busy.latencies).1,
        );
        println!("  {name:<9} alone         {n_alone:>8} calls   p99 {p99_alone:>7.2} ms");
        println!(
            "  {name:<9} with writers  {n_busy:>8} calls   p99 {p99_busy:>7.2} ms   {:.2}x alone (target <= 2x)   \
             {:.0} writes/s, {} failed, 5xx {}",
            p99_busy / p99_alone,
            busy.writes as f64 / secs.as_secs_f64(),
            busy.write_failures,
            alone.server_errors + busy.server_errors
        );
        ok &= alone.server_errors + busy.server_errors == 0;
    }
    ok
}

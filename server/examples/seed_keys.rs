//! Adds keys to a database in one statement, for browser tests of large lists (a test helper,
//! built from the dev-dependencies; never part of the released binary).
//!
//! `seed_keys <DATABASE_URL> <count> <name word> <creator>`: keys named "{word} {shop|site|store}
//! {n}", created by `creator` (see `app::server::seed::many_keys`). The database must already be
//! migrated (a running server's is).

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, count, word, creator] = &args[..] else {
        eprintln!("usage: seed_keys <DATABASE_URL> <count> <name word> <creator>");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("count: a number");
    let db = app::server::db::connect(url).await.expect("connect");
    app::server::seed::many_keys(&db, count, &[word], &[creator]).await;
}

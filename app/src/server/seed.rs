//! Many keys at once, for benchmarks and tests of large lists (the `testing` feature; never in
//! the released binary).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

/// Inserts `count` keys in one statement (a recursive CTE on SQLite, `generate_series` on
/// PostgreSQL), so the search index's triggers run as they do for keys created one by one.
/// Key `n` is named "{word} {shop|site|store} {n}" and created by `creators[n % len]`; two in
/// three were used (the older, the longer ago), one in four expires (from 30 days ago to a
/// year ahead). The keys cannot verify: their secret hashes are placeholders.
pub async fn many_keys(db: &DatabaseConnection, count: u64, words: &[&str], creators: &[&str]) {
    let backend = db.get_database_backend();
    let now = chrono::Utc::now().timestamp_millis();
    // Lower-cased here, as the service does it: SQLite's `lower()` is ASCII-only.
    let values = |items: &[&str]| {
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let v = v.replace('\'', "''");
                format!("({i}, '{v}', '{}')", v.to_lowercase())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (series, hex_id, hex_hash, last4, newline) = match backend {
        DbBackend::Postgres => (
            format!("s(n) AS (SELECT generate_series(0, {count} - 1)::bigint)"),
            "lpad(to_hex(n), 12, '0')",
            "lpad(to_hex(n), 64, '0')",
            "lpad((n % 10000)::text, 4, '0')",
            "chr(10)",
        ),
        _ => (
            format!("s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {count})"),
            "printf('%012x', n)",
            "printf('%064x', n)",
            "printf('%04d', n % 10000)",
            "char(10)",
        ),
    };
    let day = crate::server::clock::DAY_MS;
    let sql = format!(
        "WITH RECURSIVE {series},
             words(i, w, wl) AS (VALUES {words}),
             kinds(i, k) AS (VALUES (0, 'shop'), (1, 'site'), (2, 'store')),
             creators(i, c, cl) AS (VALUES {creators})
         INSERT INTO api_keys (id, name, project, search_text, name_lower, start, last4,
             secret_hash, recoverable, scopes, created_at, created_by_kind, created_by_label,
             updated_at, expires_at, last_used_at, last_used_ip, last_used_user_agent,
             usage_count, ancestors, allowed_cidrs)
         SELECT '00000000-0000-7000-8000-' || {hex_id}, w || ' ' || k || ' ' || n,
             'shop' || n || '.example', wl || ' ' || k || ' ' || n || {newline} || cl,
             wl || ' ' || k || ' ' || n, 'lsk_AbCd', {last4},
             {hex_hash}, false, 'keys:read', {now} - ({count} - n) * 60000, 'user', c, {now},
             CASE WHEN n % 4 = 0 THEN {now} + (n % 400 - 30) * {day} END,
             CASE WHEN n % 3 <> 0 THEN {now} - n * 1000 END,
             CASE WHEN n % 3 <> 0 THEN '203.0.113.5' END,
             CASE WHEN n % 3 <> 0 THEN 'WooCommerce/8' END,
             n % 50, '', ''
         FROM s
         JOIN words ON words.i = n % {nwords}
         JOIN kinds ON kinds.i = n % 3
         JOIN creators ON creators.i = n % {ncreators}",
        words = values(words),
        creators = values(creators),
        nwords = words.len(),
        ncreators = creators.len(),
    );
    db.execute_unprepared(&sql).await.expect("seed keys");
}

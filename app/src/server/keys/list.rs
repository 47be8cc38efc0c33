//! Listing keys: search by name or creator, filters, sorting and pages.
//!
//! Search is a case-insensitive substring match on `search_text` (name and creator label,
//! lower-cased in Rust). A searched page is found one of two ways, whichever costs less:
//! - **fetch every match and sort them**, the matches coming from the substring index (FTS5
//!   trigrams on SQLite for three characters or more, pg_trgm on PostgreSQL when the extension
//!   is present);
//! - **walk the sort order** (its index holds the search text, so a key costs no lookup until it
//!   matches) and test each key until the page is full: quick when matches are spread through
//!   the order, whatever their number.
//!
//! SQLite's index first counts the matches, up to [`EXACT_TOTAL_UP_TO`]: so many, or fewer,
//! it fetches (or, for a page past the last, finds nothing to fetch). Past that count, or on
//! PostgreSQL, an estimate decides (a sample of rows; the planner's): up to [`FEW_MATCHES`],
//! fetch. Above, walk, but first for a few keys only (at most [`WALK_AT_MOST`]): matches
//! bunched at the far end of the order would have the walk pass most of the table, and up to
//! [`fetch_at_most`] matches, fetching them costs less than that; above, the walk goes on to
//! the page, which costs at most a scan of the sort order's index. Searches the index cannot
//! answer (SQLite under three characters; names only, for API keys: the index holds creators
//! too) always walk.
//!
//! What a fetched match costs:
//! - **SQLite** keeps each key's sort keys, filter columns and search text in its index, beside
//!   the key's id (m0014). Few matches come from the exact phrase; many, from candidates that
//!   hold a few of the search's trigrams anywhere ([`fts_candidates`]: no positions to read),
//!   each tested against the search text in the index's own row. Either way a match costs one
//!   integer-key step, about a third of what passing a key of a walk costs, so SQLite fetches
//!   up to [`INDEX_FETCH_AT_MOST`] matches.
//! - **PostgreSQL** reads each match from the table, up to [`FETCH_AT_MOST`].
//!
//! The total is counted up to [`EXACT_TOTAL_UP_TO`] matches and estimated above, so that a
//! broad search over a million keys costs what its page costs: PostgreSQL's planner estimates
//! from its statistics; SQLite, which keeps none, tests a sample of rows.

use sea_orm::{
    sea_query::{Alias, Expr, LikeExpr, NullOrdering, Order, Query, SelectStatement, SimpleExpr},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Statement,
};

use crate::api::{
    types::{KeyFilter, SortField, SortOrder, EXACT_TOTAL_UP_TO, EXPIRING_SOON_DAYS},
    validate,
};
use crate::server::{clock::DAY_MS, entities::api_keys, error::ServiceResult};

use super::KeyService;

/// Up to this many matches (as estimated), fetch them and sort; above, walk the sort order.
const FEW_MATCHES: u64 = 1000;
/// A walk first passes at most this many keys of the sort order (beyond the page's own offset
/// and size): matches spread through the order fill a page long before.
pub const WALK_AT_MOST: u64 = 20_000;
/// Where that first walk ends short, up to this many matches are fetched and sorted on
/// PostgreSQL (a match's lookup costs about what passing twenty keys of a walk does); above, the
/// walk goes on to the page.
pub const FETCH_AT_MOST: u64 = EXACT_TOTAL_UP_TO;
/// The same on SQLite, whose index holds the sort keys: a match costs about a third of what
/// passing a key of a walk does (100,000 matches: 15–25 ms at a million keys).
pub const INDEX_FETCH_AT_MOST: u64 = 100_000;
const _: () = assert!(
    FEW_MATCHES <= FETCH_AT_MOST && FETCH_AT_MOST <= INDEX_FETCH_AT_MOST,
    "a fetch of few matches goes through the index"
);

/// Up to how many matches a list fetches and sorts instead of walking the sort order to the
/// page.
pub fn fetch_at_most(backend: DbBackend) -> u64 {
    match backend {
        DbBackend::Sqlite => INDEX_FETCH_AT_MOST,
        _ => FETCH_AT_MOST,
    }
}

/// An estimate above this is answered without counting: a sample or the planner's statistics
/// that far above the exact-count limit do not hide a total under it, and counting past the
/// limit over a sparse match would walk much of the table.
const ESTIMATE_WITHOUT_COUNTING_ABOVE: u64 = 2 * EXACT_TOTAL_UP_TO;
/// Rows a SQLite estimate tests (see [`KeyService::sampled_estimate`]).
pub const SAMPLE_ROWS: i64 = 2000;

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub query: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub sort: Option<SortField>,
    pub order: Option<SortOrder>,
    pub filter: Option<KeyFilter>,
    /// Search names only, not creators (for API keys, which may not learn admins' names).
    pub name_only: bool,
}

/// What a list searches and filters for.
struct Matching {
    /// The filters, without the search.
    filtered: Select<api_keys::Entity>,
    /// The search as a test of one row's `search_text`: what walking the sort order applies.
    row_test: Option<SimpleExpr>,
    /// The FTS5 phrase, when SQLite's trigram index answers the search (exports: they find
    /// rows through it, a page through `index_rows`).
    phrase: Option<String>,
    /// The search through SQLite's trigram index as a test of `api_keys` rows, when the index
    /// answers the search (exports); PostgreSQL's pg_trgm answers `row_test` itself.
    indexed: Option<SimpleExpr>,
    /// The same matches as the index's own rows (id, sort keys, filter columns and search text,
    /// standing in for `api_keys`), filters applied, found by the exact phrase: what counting
    /// and fetching few matches read.
    index_exact: Option<Select<api_keys::Entity>>,
    /// The same, found as candidates by [`fts_candidates`] and tested: what fetching many
    /// matches reads.
    index_rows: Option<Select<api_keys::Entity>>,
    /// The search's matches as SQLite's index counted them (a page: up to
    /// [`EXACT_TOTAL_UP_TO`]; an export: up to one past [`FETCH_AT_MOST`]) or as estimated
    /// (PostgreSQL's planner; SQLite's sample, past the count); `None` when unknown.
    matches: Option<u64>,
    /// The total, when the index counted it (no more than [`EXACT_TOTAL_UP_TO`]).
    exact: Option<u64>,
    /// The estimate, when `matches` is one: the total starts from it. Where the index counted
    /// past [`EXACT_TOTAL_UP_TO`], it is the total.
    estimate: Option<u64>,
    /// The span of the keys' rowids the sample was drawn from (SQLite): about how many keys
    /// there are, more after deletes.
    index_span: Option<u64>,
}

impl Matching {
    fn at_most(&self, matches: u64) -> bool {
        self.matches.is_some_and(|m| m <= matches)
    }

    /// How many keys of the sort order the first walk passes to fill a page that ends `end`
    /// matches in: at most [`WALK_AT_MOST`] past the page. Where fetching costs little (SQLite's
    /// index rows) and the number of keys is known, no more than four times what matches spread
    /// evenly through the order would take: a walk that needs longer finds them bunched, and the
    /// fetch is the cheaper way.
    fn first_walk(&self, end: u64) -> u64 {
        let end = end.min(i64::MAX as u64);
        let most = WALK_AT_MOST.saturating_add(end).min(i64::MAX as u64);
        match (&self.index_rows, self.matches, self.index_span) {
            (Some(_), Some(matches), Some(keys)) if matches > 0 => {
                let spread = end as u128 * keys as u128 / matches as u128;
                u64::try_from(spread.saturating_mul(4))
                    .unwrap_or(u64::MAX)
                    .max(end)
                    .min(most)
            }
            _ => most,
        }
    }

    /// Every key the list finds, unsorted, the way counting and fetching them costs least:
    /// through the index for up to [`FETCH_AT_MOST`] matches, else by testing rows.
    fn select(&self) -> Select<api_keys::Entity> {
        match (&self.indexed, &self.row_test) {
            (Some(indexed), _) if self.at_most(FETCH_AT_MOST) => {
                self.filtered.clone().filter(indexed.clone())
            }
            (_, Some(test)) => self.filtered.clone().filter(test.clone()),
            _ => self.filtered.clone(),
        }
    }

    /// Every match with its id and `column`, unsorted: from the index's rows when it has them
    /// (by the exact phrase when the matches were counted, else as tested candidates), else
    /// through [`Matching::select`]. An `OFFSET` (which SQLite only takes after a `LIMIT`)
    /// keeps the database from merging this query into an outer one, which would have it walk
    /// the sort order after all.
    fn fetched(&self, column: api_keys::Column) -> Select<api_keys::Entity> {
        let rows = match self.exact {
            Some(_) => &self.index_exact,
            None => &self.index_rows,
        };
        rows.clone()
            .unwrap_or_else(|| self.select())
            .select_only()
            .columns([api_keys::Column::Id, column])
            .limit(i64::MAX as u64)
            .offset(0)
    }
}

pub struct ListPage {
    pub rows: Vec<api_keys::Model>,
    pub total: u64,
    pub total_is_estimate: bool,
    pub page: u64,
    pub page_size: u64,
}

/// A LIKE pattern for "contains": `%`, `_` and `\` match themselves; `\` is the escape
/// character.
pub fn like_contains(needle: &str) -> String {
    format!("%{}", like_starts_with(needle))
}

/// A LIKE pattern for "starts with", escaped as [`like_contains`] is.
pub fn like_starts_with(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 1);
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// An FTS5 phrase: the trigram tokenizer turns it into an exact substring match.
fn fts_phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// At most this many trigrams make a candidate query: each is a list of keys read whole, and
/// the search text test makes any subset exact.
const CANDIDATE_TRIGRAMS: usize = 6;

/// An FTS5 query for keys that may hold `needle` (three characters or more): trigrams of a
/// tiling of `needle` (characters 0–2, 3–5, …, and the last three; at most
/// [`CANDIDATE_TRIGRAMS`] of them, spread over it, each once), each anywhere in the key. A
/// phrase of every overlapping trigram would read each one's positions too (a seven-letter
/// word: five lists and their positions, where the tiling reads three lists); [`index_rows`]
/// tests the candidates against the search text itself.
fn fts_candidates(needle: &str) -> String {
    let chars: Vec<char> = needle.chars().collect();
    debug_assert!(
        chars.len() >= 3,
        "the trigram index answers three characters"
    );
    let last = chars.len().saturating_sub(3);
    let mut tiles: Vec<usize> = (0..last).step_by(3).collect();
    tiles.push(last);
    let picked = tiles.len().min(CANDIDATE_TRIGRAMS);
    let mut terms: Vec<String> = (0..picked)
        .map(|i| tiles[i * (tiles.len() - 1) / (picked - 1).max(1)])
        .map(|at| fts_phrase(&chars[at..at + 3].iter().collect::<String>()))
        .collect();
    terms.sort();
    terms.dedup();
    terms.join(" AND ")
}

/// SQLite's index rows of the keys `fts_query` finds whose search text holds `needle`, named
/// as `api_keys`' columns: `id`, the sort keys, the filter columns and the search text (m0014).
fn index_rows(fts_query: String, needle: &str) -> SelectStatement {
    let (fts, ids) = (Alias::new("api_keys_fts"), Alias::new("api_keys_fts_ids"));
    let mut rows = Query::select();
    rows.expr_as(
        Expr::col((ids.clone(), Alias::new("key_id"))),
        api_keys::Column::Id,
    );
    for column in [
        api_keys::Column::NameLower,
        api_keys::Column::CreatedAt,
        api_keys::Column::LastUsedAt,
        api_keys::Column::ExpiresAt,
        api_keys::Column::DisabledAt,
        api_keys::Column::SearchText,
    ] {
        rows.column((ids.clone(), column));
    }
    rows.from(fts.clone())
        .inner_join(
            ids.clone(),
            sea_orm::sea_query::ExprTrait::equals(
                Expr::col((ids, Alias::new("rowid"))),
                (fts, Alias::new("rowid")),
            ),
        )
        .and_where(Expr::cust_with_values("api_keys_fts MATCH ?", [fts_query]))
        .and_where(Expr::cust_with_values(
            "instr(api_keys_fts_ids.search_text, ?) > 0",
            [needle.to_owned()],
        ));
    rows
}

/// The ids `select` finds: what counting and estimating need of it.
fn ids(select: &Select<api_keys::Entity>) -> Select<api_keys::Entity> {
    select.clone().select_only().column(api_keys::Column::Id)
}

/// Counts what `select` finds up to `cap`: the count stops reading there.
fn capped_count(select: &Select<api_keys::Entity>, cap: u64, backend: DbBackend) -> Statement {
    let ids = ids(select).build(backend);
    Statement {
        sql: format!("SELECT count(*) FROM ({} LIMIT {cap}) AS capped", ids.sql),
        ..ids
    }
}

fn sorted(
    select: Select<api_keys::Entity>,
    sort: SortField,
    order: SortOrder,
) -> Select<api_keys::Entity> {
    let (order, asc) = match order {
        SortOrder::Asc => (Order::Asc, true),
        SortOrder::Desc => (Order::Desc, false),
    };
    let column = sort_column(sort);
    let nulls_first = match sort {
        SortField::Name | SortField::Created => None,
        // Never used counts as the oldest use.
        SortField::LastUsed => Some(asc),
        // Never expiring counts as the latest expiry.
        SortField::Expires => Some(!asc),
    };
    let select = match nulls_first {
        None => select.order_by(column, order.clone()),
        Some(true) => select.order_by_with_nulls(column, order.clone(), NullOrdering::First),
        Some(false) => select.order_by_with_nulls(column, order.clone(), NullOrdering::Last),
    };
    select.order_by(api_keys::Column::Id, order)
}

/// The column a sort order sorts by.
fn sort_column(sort: SortField) -> api_keys::Column {
    match sort {
        SortField::Name => api_keys::Column::NameLower,
        SortField::Created => api_keys::Column::CreatedAt,
        SortField::LastUsed => api_keys::Column::LastUsedAt,
        SortField::Expires => api_keys::Column::ExpiresAt,
    }
}

/// The ids of one page of `inner`'s rows (which hold the id, the sort column and, for `test`,
/// the search text), those passing `test` only: `SELECT id FROM (inner) AS api_keys …`.
fn page_of(
    inner: Select<api_keys::Entity>,
    test: Option<&SimpleExpr>,
    sort: SortField,
    order: SortOrder,
    offset: u64,
    limit: u64,
) -> Select<api_keys::Entity> {
    let mut outer = api_keys::Entity::find()
        .select_only()
        .column(api_keys::Column::Id);
    QueryTrait::query(&mut outer)
        .from_clear()
        .from_subquery(inner.into_query(), api_keys::Entity);
    if let Some(test) = test {
        outer = outer.filter(test.clone());
    }
    sorted(outer, sort, order).offset(offset).limit(limit)
}

impl KeyService {
    pub async fn list(&self, params: ListParams) -> ServiceResult<ListPage> {
        let page = validate::page("page", params.page)?;
        let page_size = validate::page_size("page_size", params.page_size)?;
        let offset = (page - 1).saturating_mul(page_size).min(i64::MAX as u64);
        let mut matching = self.matching(&params).await?;
        let searched = matching.row_test.is_some() && !params.name_only;
        // A count or an estimate says whether the page walks; the total starts from it too.
        // Only a page needs it: an export streams every match. PostgreSQL's planner estimates
        // any search; SQLite counts or estimates only where its index can fetch the matches (a
        // walk needs neither).
        let backend = self.db().get_database_backend();
        let estimate = match (backend, &matching.index_exact) {
            (DbBackend::Postgres, _) if searched => {
                Some(self.planner_estimate(&matching.select()).await?)
            }
            // SQLite counts the matches through its index first, as far as a total is exact;
            // only past that does it sample.
            (DbBackend::Sqlite, Some(rows)) if searched => {
                let counted = self
                    .count(capped_count(rows, EXACT_TOTAL_UP_TO + 1, backend))
                    .await?;
                if counted <= EXACT_TOTAL_UP_TO {
                    matching.matches = Some(counted);
                    matching.exact = Some(counted);
                    None
                } else {
                    let (estimate, span) = self.sampled_estimate(&matching.select()).await?;
                    matching.index_span = Some(span);
                    Some(estimate.max(counted))
                }
            }
            _ => None,
        };
        if let Some(estimate) = estimate {
            matching.matches = Some(estimate);
            matching.estimate = Some(estimate);
        }
        let rows = self.page_rows(
            &matching,
            params.sort.unwrap_or_default(),
            params.order.unwrap_or_default(),
            offset,
            page_size,
        );
        // Both may scan: run them side by side on two pooled connections.
        let ((mut total, mut total_is_estimate), rows) =
            tokio::try_join!(self.total(&matching), rows)?;
        // The page itself bounds an estimate: a page that is not full (and not past the end)
        // is the last, so the total is known exactly; a full one means at least one more key.
        let shown = offset + rows.len() as u64;
        if total_is_estimate {
            if (rows.len() as u64) < page_size && (page == 1 || !rows.is_empty()) {
                (total, total_is_estimate) = (shown, false);
            } else if !rows.is_empty() {
                total = total.max(shown + u64::from(rows.len() as u64 == page_size));
            }
        }
        Ok(ListPage {
            rows,
            total,
            total_is_estimate,
            page,
            page_size,
        })
    }

    /// One page of what `matching` finds, in order: unsearched, from the sort order's index;
    /// searched, as the module's documentation says.
    async fn page_rows(
        &self,
        matching: &Matching,
        sort: SortField,
        order: SortOrder,
        offset: u64,
        limit: u64,
    ) -> ServiceResult<Vec<api_keys::Model>> {
        // The page's ids first, then its keys: walking for ids reads the sort order's index
        // alone (PostgreSQL would fetch every key it passes to read whole rows).
        let walk = |select: Select<api_keys::Entity>| {
            let ids = sorted(select, sort, order)
                .select_only()
                .column(api_keys::Column::Id)
                .offset(offset)
                .limit(limit);
            self.rows_of(ids, sort, order)
        };
        let Some(test) = &matching.row_test else {
            return walk(matching.filtered.clone()).await;
        };
        let column = sort_column(sort);
        // Every match, then sorted (only ever for up to `fetch_at_most` matches, which the
        // index finds).
        let fetch = || {
            self.rows_of(
                page_of(matching.fetched(column), None, sort, order, offset, limit),
                sort,
                order,
            )
        };
        if let Some(exact) = matching.exact {
            // Counted: no more than the fetch takes, and a page past them is empty.
            if offset >= exact {
                return Ok(Vec::new());
            }
            return fetch().await;
        }
        if matching.at_most(FEW_MATCHES) {
            return fetch().await;
        }
        // The first keys of the sort order, then the matches among them.
        let first = sorted(matching.filtered.clone(), sort, order)
            .select_only()
            .columns([api_keys::Column::Id, column, api_keys::Column::SearchText])
            .limit(matching.first_walk(offset.saturating_add(limit)));
        let rows = self
            .rows_of(
                page_of(first, Some(test), sort, order, offset, limit),
                sort,
                order,
            )
            .await?;
        if rows.len() as u64 == limit {
            return Ok(rows);
        }
        if matching.at_most(fetch_at_most(self.db().get_database_backend())) {
            return fetch().await;
        }
        walk(matching.filtered.clone().filter(test.clone())).await
    }

    /// The keys whose ids `ids` selects, in order.
    async fn rows_of(
        &self,
        ids: Select<api_keys::Entity>,
        sort: SortField,
        order: SortOrder,
    ) -> ServiceResult<Vec<api_keys::Model>> {
        Ok(sorted(
            api_keys::Entity::find().filter(api_keys::Column::Id.in_subquery(ids.into_query())),
            sort,
            order,
        )
        .all(self.db())
        .await?)
    }

    /// How many keys `select` finds: counted up to [`EXACT_TOTAL_UP_TO`], so a broad search
    /// stops counting early; above, estimated (and said so). The estimate comes first (cheap):
    /// counting runs only when it is near the limit or below, where counting stops early or has
    /// little to count.
    async fn total(&self, matching: &Matching) -> ServiceResult<(u64, bool)> {
        if let Some(exact) = matching.exact {
            return Ok((exact, false));
        }
        if let (Some(estimate), Some(_)) = (matching.estimate, &matching.index_exact) {
            // The index counted past the exact limit already.
            return Ok((estimate, true));
        }
        let estimate = match matching.estimate {
            Some(estimate) => estimate,
            None => match self.db().get_database_backend() {
                DbBackend::Postgres => self.planner_estimate(&matching.select()).await?,
                _ => self.sampled_estimate(&matching.select()).await?.0,
            },
        };
        if estimate > ESTIMATE_WITHOUT_COUNTING_ABOVE {
            return Ok((estimate, true));
        }
        let counted = self
            .count(capped_count(
                &matching.select(),
                EXACT_TOTAL_UP_TO + 1,
                self.db().get_database_backend(),
            ))
            .await?;
        if counted <= EXACT_TOTAL_UP_TO {
            Ok((counted, false))
        } else {
            Ok((estimate.max(counted), true))
        }
    }

    /// PostgreSQL's own estimate of the rows a query finds (from `ANALYZE`'s statistics, which
    /// autovacuum keeps fresh): the top plan node's `rows=`.
    async fn planner_estimate(&self, select: &Select<api_keys::Entity>) -> ServiceResult<u64> {
        let query = ids(select).build(DbBackend::Postgres);
        let plan = self
            .db()
            .query_one_raw(Statement {
                sql: format!("EXPLAIN {}", query.sql),
                ..query
            })
            .await?
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .unwrap_or_default();
        Ok(plan
            .split_once(" rows=")
            .and_then(|(_, rest)| rest.split(' ').next()?.parse().ok())
            .unwrap_or(0))
    }

    /// SQLite keeps no statistics to estimate from: test [`SAMPLE_ROWS`] rowids drawn from the
    /// table's rowid range and scale the matches up to the whole range. The rowids are
    /// `r × P mod range` for a large prime `P`: distinct, spread over the range, and not in step
    /// with any pattern of the keys (an even stride would be, with keys named in turns). A
    /// deleted rowid counts as a miss, as it should. With the estimate comes the range's size:
    /// about how many keys there are (more after deletes).
    async fn sampled_estimate(
        &self,
        select: &Select<api_keys::Entity>,
    ) -> ServiceResult<(u64, u64)> {
        const P: i64 = 2_654_435_761;
        let bounds = self
            .db()
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                // Two subqueries: each is one step down the b-tree; min and max in one
                // SELECT would scan the table.
                "SELECT (SELECT min(rowid) FROM api_keys), (SELECT max(rowid) FROM api_keys)",
            ))
            .await?;
        let Some((lo, hi)) = bounds.and_then(|r| {
            Some((
                r.try_get_by_index::<i64>(0).ok()?,
                r.try_get_by_index::<i64>(1).ok()?,
            ))
        }) else {
            return Ok((0, 0));
        };
        let range = hi - lo + 1;
        let samples = SAMPLE_ROWS.min(range);
        let sampled = ids(select)
            .filter(Expr::cust(format!(
                "api_keys.rowid IN (WITH RECURSIVE sample(r) AS (SELECT 0 UNION ALL \
                 SELECT r + 1 FROM sample WHERE r + 1 < {samples}) \
                 SELECT {lo} + (r * {P}) % {range} FROM sample)"
            )))
            .build(DbBackend::Sqlite);
        // Looked up by rowid only: left to itself, SQLite may walk an index a filter names
        // (`last_used_at IS NULL`) across the table instead.
        let from = r#"FROM "api_keys""#;
        debug_assert!(sampled.sql.contains(from));
        let sql = sampled
            .sql
            .replacen(from, r#"FROM "api_keys" NOT INDEXED"#, 1);
        let matches = self
            .count(Statement {
                sql: format!("SELECT count(*) FROM ({sql}) AS sampled"),
                ..sampled
            })
            .await?;
        Ok((
            (matches as u128 * range as u128 / samples as u128) as u64,
            range.max(0) as u64,
        ))
    }

    async fn count(&self, statement: Statement) -> ServiceResult<u64> {
        let row = self.db().query_one_raw(statement).await?;
        Ok(row
            .and_then(|r| r.try_get_by_index::<i64>(0).ok())
            .unwrap_or(0)
            .max(0) as u64)
    }

    /// Every key the list would show for `params` (searched, filtered and sorted, no pages):
    /// what an export streams.
    pub async fn all_matching(
        &self,
        params: &ListParams,
    ) -> ServiceResult<Select<api_keys::Entity>> {
        let mut matching = self.matching(params).await?;
        if let Some(phrase) = &matching.phrase {
            matching.matches = Some(self.fts_matches(phrase).await?);
        }
        Ok(sorted(
            matching.select(),
            params.sort.unwrap_or_default(),
            params.order.unwrap_or_default(),
        ))
    }

    /// What `params` search and filter for, and what the search index already knows of it.
    async fn matching(&self, params: &ListParams) -> ServiceResult<Matching> {
        let query = validate::query("query", params.query.as_deref())?.map(|q| q.to_lowercase());
        let filter = params.filter.unwrap_or_default();
        let now = self.now_ms();

        let mut filtered = api_keys::Entity::find();
        filtered = match filter {
            KeyFilter::All => filtered,
            KeyFilter::NeverUsed => filtered.filter(api_keys::Column::LastUsedAt.is_null()),
            KeyFilter::ExpiringSoon => filtered
                .filter(api_keys::Column::DisabledAt.is_null())
                .filter(api_keys::Column::ExpiresAt.gt(now))
                .filter(api_keys::Column::ExpiresAt.lte(now + EXPIRING_SOON_DAYS * DAY_MS)),
            KeyFilter::Expired => filtered.filter(api_keys::Column::ExpiresAt.lte(now)),
            KeyFilter::Disabled => filtered.filter(api_keys::Column::DisabledAt.is_not_null()),
        };
        let mut matching = Matching {
            filtered,
            row_test: None,
            indexed: None,
            index_exact: None,
            index_rows: None,
            matches: None,
            exact: None,
            estimate: None,
            index_span: None,
            phrase: None,
        };
        let Some(needle) = query else {
            return Ok(matching);
        };
        let backend = self.db().get_database_backend();
        // Names only: in the name, the part of the search text before its first line break
        // (names and queries hold none), so that walks read the sort order's index alone.
        let test = if params.name_only && backend == DbBackend::Sqlite {
            Expr::cust_with_values(
                "instr(api_keys.search_text, ?) BETWEEN 1 AND instr(api_keys.search_text, char(10))",
                [needle.clone()],
            )
        } else if params.name_only {
            Expr::cust_with_values(
                "strpos(api_keys.search_text, $1) BETWEEN 1 AND strpos(api_keys.search_text, chr(10))",
                [needle.clone()],
            )
        } else if backend == DbBackend::Sqlite {
            Expr::cust_with_values("instr(api_keys.search_text, ?) > 0", [needle.clone()])
        } else {
            api_keys::Column::SearchText.like(LikeExpr::new(like_contains(&needle)).escape('\\'))
        };
        matching.row_test = Some(test);
        if params.name_only {
            return Ok(matching);
        }
        if backend == DbBackend::Sqlite && needle.chars().count() >= 3 {
            // SQLite's trigram index answers three characters or more.
            let phrase = fts_phrase(&needle);
            matching.indexed = Some(Expr::cust_with_values(
                "api_keys.id IN (SELECT key_id FROM api_keys_fts_ids WHERE rowid IN \
                 (SELECT rowid FROM api_keys_fts WHERE api_keys_fts MATCH ?))",
                [phrase.clone()],
            ));
            let from_index = |fts_query: String| {
                let mut rows = matching.filtered.clone();
                QueryTrait::query(&mut rows)
                    .from_clear()
                    .from_subquery(index_rows(fts_query, &needle), api_keys::Entity);
                rows
            };
            matching.index_exact = Some(from_index(phrase.clone()));
            matching.index_rows = Some(from_index(fts_candidates(&needle)));
            matching.phrase = Some(phrase);
        }
        Ok(matching)
    }

    /// Index matches for `phrase`, counted up to one more than [`FETCH_AT_MOST`].
    async fn fts_matches(&self, phrase: &str) -> ServiceResult<u64> {
        self.count(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT count(*) FROM (SELECT rowid FROM api_keys_fts WHERE api_keys_fts \
                 MATCH ? LIMIT {})",
                FETCH_AT_MOST + 1
            ),
            [phrase.into()],
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{fts_candidates, fts_phrase, like_contains, CANDIDATE_TRIGRAMS};

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn candidates_are_a_few_distinct_trigrams_of_the_search() {
        assert_eq!(fts_candidates("woo"), r#""woo""#);
        assert_eq!(fts_candidates("aaaa"), r#""aaa""#);
        assert_eq!(fts_candidates("partner"), r#""ner" AND "par" AND "tne""#);
        assert_eq!(fts_candidates(r#"a"bc"#), r#""""bc" AND "a""b""#);
        // A long, repetitive search reads each list once, and a few lists at most.
        let long = "store ".repeat(33);
        let terms = fts_candidates(long.trim_end());
        let terms: Vec<&str> = terms.split(" AND ").collect();
        assert!(terms.len() <= CANDIDATE_TRIGRAMS, "{terms:?}");
        let mut distinct = terms.clone();
        distinct.dedup();
        assert_eq!(distinct, terms);
        // Multi-byte characters are whole characters.
        assert_eq!(fts_candidates("ünï"), r#""ünï""#);
    }

    #[test]
    fn phrases_are_quoted() {
        assert_eq!(fts_phrase(r#"say "hi""#), r#""say ""hi""""#);
    }
}

//! Listing keys: search by name or creator, filters, sorting and pages.
//!
//! Search is a case-insensitive substring match on `search_text` (name and creator label,
//! lower-cased in Rust). On SQLite, queries of three characters or more are answered from the
//! FTS5 trigram index: few matches are fetched by id and sorted; many matches are found by
//! walking the sort-order index until the page is full (both are quick). On PostgreSQL, LIKE
//! uses the pg_trgm index when the extension is present.
//!
//! The total is counted up to [`EXACT_TOTAL_UP_TO`] matches and estimated above, so that a
//! broad search over a million keys costs what its page costs: PostgreSQL's planner estimates
//! from its statistics; SQLite, which keeps none, tests a sample of rows.

use sea_orm::{
    sea_query::{Expr, LikeExpr, NullOrdering, Order},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Statement,
};

use crate::api::{
    types::{KeyFilter, SortField, SortOrder, EXACT_TOTAL_UP_TO, EXPIRING_SOON_DAYS},
    validate,
};
use crate::server::{clock::DAY_MS, entities::api_keys, error::ServiceResult};

use super::KeyService;

/// Up to this many index matches, fetch them by id and sort; above, walk the sort order.
const FEW_MATCHES: u64 = 1000;
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

/// What a search index told of a list's total before it is counted.
#[derive(Debug, Clone, Copy)]
enum Known {
    Nothing,
    Exact(u64),
    /// No more than [`EXACT_TOTAL_UP_TO`] (the index's matches, before a filter): counted,
    /// never estimated.
    FewEnoughToCount,
    /// More than [`EXACT_TOTAL_UP_TO`]: the total is estimated, not counted.
    MoreThanExact,
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

/// The ids `select` finds: what counting and estimating need of it.
fn ids(select: &Select<api_keys::Entity>) -> Select<api_keys::Entity> {
    select.clone().select_only().column(api_keys::Column::Id)
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
    let select = match sort {
        SortField::Name => select.order_by(api_keys::Column::NameLower, order.clone()),
        SortField::Created => select.order_by(api_keys::Column::CreatedAt, order.clone()),
        // Never used counts as the oldest use.
        SortField::LastUsed => select.order_by_with_nulls(
            api_keys::Column::LastUsedAt,
            order.clone(),
            if asc {
                NullOrdering::First
            } else {
                NullOrdering::Last
            },
        ),
        // Never expiring counts as the latest expiry.
        SortField::Expires => select.order_by_with_nulls(
            api_keys::Column::ExpiresAt,
            order.clone(),
            if asc {
                NullOrdering::Last
            } else {
                NullOrdering::First
            },
        ),
    };
    select.order_by(api_keys::Column::Id, order)
}

impl KeyService {
    pub async fn list(&self, params: ListParams) -> ServiceResult<ListPage> {
        let page = validate::page("page", params.page)?;
        let page_size = validate::page_size("page_size", params.page_size)?;
        let offset = (page - 1).saturating_mul(page_size).min(i64::MAX as u64);
        let (select, known) = self.matching(&params).await?;
        let rows = sorted(
            select.clone(),
            params.sort.unwrap_or_default(),
            params.order.unwrap_or_default(),
        )
        .offset(offset)
        .limit(page_size)
        .all(self.db());
        let rows = async { Ok(rows.await?) };
        // Both may scan: run them side by side on two pooled connections.
        let ((mut total, mut total_is_estimate), rows) =
            tokio::try_join!(self.total(&select, known), rows)?;
        // The page itself bounds an estimate: a page that is not full (and not past the end)
        // is the last, so the total is known exactly; a full one means at least one more key.
        let shown = offset + rows.len() as u64;
        if total_is_estimate {
            if (rows.len() as u64) < page_size && (page == 1 || !rows.is_empty()) {
                (total, total_is_estimate) = (shown, false);
            } else {
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

    /// How many keys `select` finds: counted up to [`EXACT_TOTAL_UP_TO`], so a broad search
    /// stops counting early; above, estimated (and said so). The estimate comes first (cheap):
    /// counting runs only when it is near the limit or below, where counting stops early or has
    /// little to count.
    async fn total(
        &self,
        select: &Select<api_keys::Entity>,
        known: Known,
    ) -> ServiceResult<(u64, bool)> {
        let estimate = match known {
            Known::Exact(total) => return Ok((total, false)),
            Known::MoreThanExact => {
                let estimate = self.sampled_estimate(select).await?;
                return Ok((estimate.max(EXACT_TOTAL_UP_TO + 1), true));
            }
            // Few enough to count whatever an estimate would say.
            Known::FewEnoughToCount => 0,
            Known::Nothing => match self.db().get_database_backend() {
                DbBackend::Postgres => self.planner_estimate(select).await?,
                _ => self.sampled_estimate(select).await?,
            },
        };
        if estimate > ESTIMATE_WITHOUT_COUNTING_ABOVE {
            return Ok((estimate, true));
        }
        let ids = ids(select).build(self.db().get_database_backend());
        let counted = self
            .count(Statement {
                sql: format!(
                    "SELECT count(*) FROM ({} LIMIT {}) AS capped",
                    ids.sql,
                    EXACT_TOTAL_UP_TO + 1
                ),
                ..ids
            })
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
    /// deleted rowid counts as a miss, as it should.
    async fn sampled_estimate(&self, select: &Select<api_keys::Entity>) -> ServiceResult<u64> {
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
            return Ok(0);
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
        Ok((matches as u128 * range as u128 / samples as u128) as u64)
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
        let (select, _) = self.matching(params).await?;
        Ok(sorted(
            select,
            params.sort.unwrap_or_default(),
            params.order.unwrap_or_default(),
        ))
    }

    /// The keys `params` search and filter for, and their count when the search index already
    /// knows it.
    async fn matching(
        &self,
        params: &ListParams,
    ) -> ServiceResult<(Select<api_keys::Entity>, Known)> {
        let query = validate::query("query", params.query.as_deref())?.map(|q| q.to_lowercase());
        let filter = params.filter.unwrap_or_default();
        let now = self.now_ms();

        let mut select = api_keys::Entity::find();
        select = match filter {
            KeyFilter::All => select,
            KeyFilter::NeverUsed => select.filter(api_keys::Column::LastUsedAt.is_null()),
            KeyFilter::ExpiringSoon => select
                .filter(api_keys::Column::DisabledAt.is_null())
                .filter(api_keys::Column::ExpiresAt.gt(now))
                .filter(api_keys::Column::ExpiresAt.lte(now + EXPIRING_SOON_DAYS * DAY_MS)),
            KeyFilter::Expired => select.filter(api_keys::Column::ExpiresAt.lte(now)),
            KeyFilter::Disabled => select.filter(api_keys::Column::DisabledAt.is_not_null()),
        };
        // What the search index already knows of the total.
        let mut known = Known::Nothing;
        if let (Some(needle), true) = (&query, params.name_only) {
            select = select.filter(
                api_keys::Column::NameLower.like(LikeExpr::new(like_contains(needle)).escape('\\')),
            );
        } else if let Some(needle) = query {
            let backend = self.db().get_database_backend();
            // SQLite's trigram index answers three characters or more.
            let indexed = backend == DbBackend::Sqlite && needle.chars().count() >= 3;
            let mut few_matches = None;
            if indexed {
                let phrase = fts_phrase(&needle);
                let matches = self.fts_matches(&phrase).await?;
                known = match (filter, matches <= EXACT_TOTAL_UP_TO) {
                    (KeyFilter::All, true) => Known::Exact(matches),
                    (KeyFilter::All, false) => Known::MoreThanExact,
                    (_, true) => Known::FewEnoughToCount,
                    (_, false) => Known::Nothing,
                };
                few_matches = (matches <= FEW_MATCHES).then_some(phrase);
            }
            select = match (backend, few_matches) {
                (_, Some(phrase)) => select.filter(Expr::cust_with_values(
                    "api_keys.id IN (SELECT key_id FROM api_keys_fts_ids WHERE rowid IN \
                     (SELECT rowid FROM api_keys_fts WHERE api_keys_fts MATCH ?))",
                    [phrase],
                )),
                (DbBackend::Sqlite, None) => select.filter(Expr::cust_with_values(
                    "instr(search_text, ?) > 0",
                    [needle],
                )),
                _ => select.filter(
                    api_keys::Column::SearchText
                        .like(LikeExpr::new(like_contains(&needle)).escape('\\')),
                ),
            };
        }

        Ok((select, known))
    }

    /// Index matches for `phrase`, counted up to one more than [`EXACT_TOTAL_UP_TO`].
    async fn fts_matches(&self, phrase: &str) -> ServiceResult<u64> {
        self.count(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT count(*) FROM (SELECT rowid FROM api_keys_fts WHERE api_keys_fts \
                 MATCH ? LIMIT {})",
                EXACT_TOTAL_UP_TO + 1
            ),
            [phrase.into()],
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{fts_phrase, like_contains};

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn phrases_are_quoted() {
        assert_eq!(fts_phrase(r#"say "hi""#), r#""say ""hi""""#);
    }
}

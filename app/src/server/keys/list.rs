//! Listing keys: search by name or creator, filters, sorting and pages.
//!
//! Search is a case-insensitive substring match on `search_text` (name and creator label,
//! lower-cased in Rust). On SQLite, queries of three characters or more are answered from the
//! FTS5 trigram index: few matches are fetched by id and sorted; many matches are found by
//! walking the sort-order index until the page is full (both are quick), and the count comes
//! from the index. On PostgreSQL, LIKE uses the pg_trgm index when the extension is present.

use sea_orm::{
    sea_query::{Expr, LikeExpr, NullOrdering, Order},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Statement,
};

use crate::api::{
    types::{KeyFilter, SortField, SortOrder, EXPIRING_SOON_DAYS},
    validate,
};
use crate::server::{clock::DAY_MS, entities::api_keys, error::ServiceResult};

use super::KeyService;

/// Up to this many index matches, fetch them by id and sort; above, walk the sort order.
const FEW_MATCHES: u64 = 1000;

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

pub struct ListPage {
    pub rows: Vec<api_keys::Model>,
    pub total: u64,
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
        let (select, known_total) = self.matching(&params).await?;
        let rows = sorted(
            select.clone(),
            params.sort.unwrap_or_default(),
            params.order.unwrap_or_default(),
        )
        .offset((page - 1).saturating_mul(page_size).min(i64::MAX as u64))
        .limit(page_size)
        .all(self.db());
        let (total, rows) = match known_total {
            Some(total) => (total, rows.await?),
            // Both may scan: run them side by side on two pooled connections.
            None => tokio::try_join!(select.count(self.db()), rows)?,
        };
        Ok(ListPage {
            rows,
            total,
            page,
            page_size,
        })
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
    ) -> ServiceResult<(Select<api_keys::Entity>, Option<u64>)> {
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
        // The total, when the search index already knows it.
        let mut known_total = None;
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
                if filter == KeyFilter::All {
                    known_total = Some(matches);
                }
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

        Ok((select, known_total))
    }

    async fn fts_matches(&self, phrase: &str) -> ServiceResult<u64> {
        let row = self
            .db()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT count(*) FROM api_keys_fts WHERE api_keys_fts MATCH ?",
                [phrase.into()],
            ))
            .await?;
        Ok(row
            .and_then(|r| r.try_get_by_index::<i64>(0).ok())
            .unwrap_or(0)
            .max(0) as u64)
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

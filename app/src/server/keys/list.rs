//! Listing keys: search by name or creator, filters, sorting and pages.

use sea_orm::{
    sea_query::{Expr, NullOrdering, Order},
    ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::api::{
    types::{KeyFilter, SortField, SortOrder, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
    validate,
};
use crate::server::{
    entities::api_keys,
    error::{ServiceError, ServiceResult},
};

use super::KeyService;

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub query: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub sort: Option<SortField>,
    pub order: Option<SortOrder>,
    pub filter: Option<KeyFilter>,
}

pub struct ListPage {
    pub rows: Vec<api_keys::Model>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl KeyService {
    pub async fn list(&self, params: ListParams) -> ServiceResult<ListPage> {
        let page = params.page.unwrap_or(1);
        if page == 0 {
            return Err(ServiceError::validation("page", "Page numbers start at 1."));
        }
        let page_size = params.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(ServiceError::validation(
                "page_size",
                format!("Page size must be between 1 and {MAX_PAGE_SIZE}."),
            ));
        }
        let query = validate::query(params.query.as_deref())?;
        let now = self.now_ms();

        let mut select = api_keys::Entity::find();
        if let Some(q) = query {
            // A plain substring test on the pre-lowered text: `%` and `_` are just characters,
            // and it is cheaper than LIKE on a full scan.
            let needle = q.to_lowercase();
            select = select.filter(match self.db().get_database_backend() {
                DbBackend::Postgres => {
                    Expr::cust_with_values("strpos(search_text, $1) > 0", [needle])
                }
                _ => Expr::cust_with_values("instr(search_text, ?) > 0", [needle]),
            });
        }
        select = match params.filter.unwrap_or_default() {
            KeyFilter::All => select,
            KeyFilter::NeverUsed => select.filter(api_keys::Column::LastUsedAt.is_null()),
            KeyFilter::Expired => select.filter(api_keys::Column::ExpiresAt.lte(now)),
            KeyFilter::Disabled => select.filter(api_keys::Column::DisabledAt.is_not_null()),
        };
        let counting = select.clone();

        let order = match params.order.unwrap_or_default() {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        };
        let asc = order == Order::Asc;
        select = match params.sort.unwrap_or_default() {
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
        let rows = select
            .order_by(api_keys::Column::Id, order)
            .offset((page - 1).saturating_mul(page_size).min(i64::MAX as u64))
            .limit(page_size)
            .all(self.db());
        // Both may scan: run them side by side on two pooled connections.
        let (total, rows) = tokio::try_join!(counting.count(self.db()), rows)?;
        Ok(ListPage {
            rows,
            total,
            page,
            page_size,
        })
    }
}

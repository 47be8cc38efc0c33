//! The list's view (search, filter, sort, page, page size), kept in the URL query.

use leptos_router::params::ParamsMap;

use crate::api::types::{KeyFilter, SortField, SortOrder, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

pub const PAGE_SIZES: [u64; 4] = [10, 25, 50, 100];

#[derive(Debug, Clone, PartialEq)]
pub struct ListView {
    pub query: String,
    pub page: u64,
    pub size: u64,
    pub sort: SortField,
    pub order: SortOrder,
    pub filter: KeyFilter,
}

impl Default for ListView {
    fn default() -> Self {
        Self {
            query: String::new(),
            page: 1,
            size: DEFAULT_PAGE_SIZE,
            sort: SortField::Created,
            order: SortOrder::Desc,
            filter: KeyFilter::All,
        }
    }
}

impl ListView {
    pub fn from_query(q: &ParamsMap) -> Self {
        let d = Self::default();
        Self {
            query: q.get("q").unwrap_or_default(),
            page: q
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(d.page),
            size: q
                .get("size")
                .and_then(|p| p.parse().ok())
                .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
                .unwrap_or(d.size),
            sort: q
                .get("sort")
                .and_then(|s| SortField::parse(&s))
                .unwrap_or(d.sort),
            order: q
                .get("order")
                .and_then(|s| SortOrder::parse(&s))
                .unwrap_or(d.order),
            filter: q
                .get("filter")
                .and_then(|s| KeyFilter::parse(&s))
                .unwrap_or(d.filter),
        }
    }

    /// `?q=…&page=…` with defaults left out; empty for the default view.
    pub fn to_query_string(&self) -> String {
        let d = Self::default();
        let mut parts = Vec::new();
        if !self.query.is_empty() {
            parts.push(format!("q={}", js_sys::encode_uri_component(&self.query)));
        }
        if self.filter != d.filter {
            parts.push(format!("filter={}", self.filter.as_str()));
        }
        if self.sort != d.sort || self.order != d.order {
            parts.push(format!(
                "sort={}&order={}",
                self.sort.as_str(),
                self.order.as_str()
            ));
        }
        if self.size != d.size {
            parts.push(format!("size={}", self.size));
        }
        if self.page != d.page {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    pub fn url(&self) -> String {
        format!("/keys{}", self.to_query_string())
    }
}

//! The database schema, as ordered sea-orm migrations (SQLite and PostgreSQL alike).
//!
//! Every timestamp is an `i64` of Unix milliseconds (UTC), so values sort and compare identically
//! on both backends; ids are UUIDv7 strings.

pub use sea_orm_migration::prelude::*;

mod m0001_accounts;
mod m0002_api_keys;
mod m0003_audit;
mod m0004_list_indexes;
mod m0005_search_index;
mod m0006_key_lineage;
mod m0007_session_reauth;
mod m0008_admin_roles;
mod m0009_key_allowlists;
mod m0010_key_policy;
mod m0011_key_leaks;
mod m0012_webhooks;
mod m0013_sort_indexes;
mod m0014_search_sort_keys;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_api_keys::Migration),
            Box::new(m0003_audit::Migration),
            Box::new(m0004_list_indexes::Migration),
            Box::new(m0005_search_index::Migration),
            Box::new(m0006_key_lineage::Migration),
            Box::new(m0007_session_reauth::Migration),
            Box::new(m0008_admin_roles::Migration),
            Box::new(m0009_key_allowlists::Migration),
            Box::new(m0010_key_policy::Migration),
            Box::new(m0011_key_leaks::Migration),
            Box::new(m0012_webhooks::Migration),
            Box::new(m0013_sort_indexes::Migration),
            Box::new(m0014_search_sort_keys::Migration),
        ]
    }
}

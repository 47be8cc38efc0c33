//! Integration tests: every storage test runs on SQLite and on a fresh PostgreSQL database.

mod common;

mod accounts;
mod allowlist;
mod audit_log;
mod cli;
mod contention;
mod crash;
mod docs;
mod export;
mod foundation;
mod holes;
mod hostile;
mod integrator;
mod keys_cli;
mod keys_on_keys;
mod large_lists;
mod leaks;
mod logs;
mod metrics;
mod policy;
mod process;
mod replicas;
mod roles;
mod rotation;
mod sudo;
mod throttles;
mod vault;
mod webhooks;

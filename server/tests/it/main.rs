//! Integration tests: every storage test runs on SQLite and on a fresh PostgreSQL database.

mod common;

mod accounts;
mod cli;
mod crash;
mod docs;
mod foundation;
mod holes;
mod hostile;
mod integrator;
mod keys_cli;
mod keys_on_keys;
mod logs;
mod metrics;
mod process;
mod replicas;
mod rotation;
mod sudo;
mod throttles;
mod vault;

//! Integration tests: every storage test runs on SQLite and on a fresh PostgreSQL database.

mod common;

mod accounts;
mod cli;
mod crash;
mod docs;
mod foundation;
mod hostile;
mod integrator;
mod logs;
mod process;
mod replicas;
mod vault;

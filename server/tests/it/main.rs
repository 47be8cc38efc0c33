//! Integration tests: every storage test runs on SQLite and on a fresh PostgreSQL database.

mod common;

mod accounts;
mod cli;
mod docs;
mod foundation;
mod integrator;
mod logs;
mod vault;

//! Command line and environment configuration (every flag has an env fallback).

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "licenseshipper",
    version,
    about = "LicenseShipper Keys: the API-key hub",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `serve` options, when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app and the API (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Create an admin; the password comes from LS_ADMIN_PASSWORD or standard input.
    CreateAdmin(CreateAdminArgs),
    /// Re-encrypt every stored secret under a new master key.
    RotateMasterKey(RotateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// SQLite (embedded, the default) or PostgreSQL URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/licenseshipper.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct MasterKeyArgs {
    /// The master key, base64 of 32 bytes (prefer the env variable or the file).
    #[arg(long, env = "LS_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// File holding the master key; created with mode 0600 on first run.
    #[arg(long, env = "LS_MASTER_KEY_FILE", default_value = "data/master.key")]
    pub master_key_file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LS_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The built client (Trunk's dist/).
    #[arg(long, env = "LS_SITE_ROOT", default_value = "dist")]
    pub site_root: PathBuf,
    /// Mark cookies Secure and send HSTS: turn on behind TLS.
    #[arg(long, env = "LS_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Trust X-Forwarded-For / X-Forwarded-Host from a reverse proxy.
    #[arg(long, env = "LS_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// Failed API-key authentications allowed per client IP and minute.
    #[arg(long, env = "LS_FAILED_AUTH_PER_MINUTE", default_value_t = 20)]
    pub failed_auth_per_minute: u32,
    /// How often buffered key usage is written, in milliseconds.
    #[arg(long, env = "LS_USAGE_FLUSH_MS", default_value_t = 1000)]
    pub usage_flush_ms: u64,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// The new master key file (created with mode 0600 if missing).
    #[arg(long)]
    pub new_key_file: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
}

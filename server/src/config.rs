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
    /// Log lines as text for people or JSON for log shippers (one object per line, with the
    /// request id, method, path, key id, status and duration of each request).
    #[arg(long, global = true, env = "LS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// `serve` options, when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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
    /// Write a new random master key to a file (mode 0600), for a rotation.
    GenerateMasterKey(GenerateKeyArgs),
    /// Print the OpenAPI document (`make openapi` writes it to docs/openapi.json).
    Openapi,
    /// Manage keys on a running server with an API key (LS_API_KEY): list, get, create,
    /// roll, disable, enable, delete, verify.
    Keys(crate::keys_cli::KeysArgs),
}

#[derive(Debug, Clone, Args)]
pub struct GenerateKeyArgs {
    /// The file to create; an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
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
    /// The current master key, base64 of 32 bytes. As a flag it shows in the process list:
    /// prefer the file or the env variable.
    #[arg(long, env = "LS_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// File holding the current master key (it seals new secrets). Created with mode 0600 on
    /// the first start of an empty database only.
    #[arg(long, env = "LS_MASTER_KEY_FILE", default_value = "data/master.key")]
    pub master_key_file: PathBuf,
    /// Files holding previous master keys (comma-separated): they still open secrets sealed
    /// under them, during and after a rotation, but never seal.
    #[arg(long, env = "LS_PREVIOUS_MASTER_KEY_FILE")]
    pub previous_master_key_file: Option<String>,
}

impl MasterKeyArgs {
    /// The previous key files; empty entries (`LS_PREVIOUS_MASTER_KEY_FILE=` in a template)
    /// name none.
    pub fn previous_files(&self) -> Vec<PathBuf> {
        self.previous_master_key_file
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LS_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Serve Prometheus metrics at /metrics on this separate address (off when not given, so
    /// they are never public by accident), e.g. 127.0.0.1:9100.
    #[arg(long, env = "LS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve the client from this directory (Trunk's dist/, for development; `make run` passes
    /// it) instead of the one built into the binary.
    #[arg(long, env = "LS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
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
    /// Seconds a client has to send a request's headers (and an idle connection is kept).
    #[arg(long, env = "LS_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once its headers are in.
    #[arg(long, env = "LS_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,
    /// Sudo mode: seconds after entering their password during which an admin session may do
    /// what sudo mode guards (docs/api.md: reveal, roll, keys:write, bulk delete, admins).
    #[arg(long, env = "LS_REAUTH_WINDOW_SECS", default_value_t = app::server::caller::DEFAULT_REAUTH_WINDOW.as_secs())]
    pub reauth_window_secs: u64,
    /// The secret-scanning partner's public keys, as GitHub serves them
    /// (`{"public_keys":[{"key_identifier","key","is_current"}]}`): turns on
    /// POST /api/v1/secret_scanning.report (404 without it). Read at start, never fetched.
    #[arg(long, env = "LS_SCANNING_PUBLIC_KEYS_FILE")]
    pub scanning_public_keys_file: Option<PathBuf>,
    /// Allow webhook endpoints on plain `http://` URLs (for development; signatures still hold,
    /// but anyone on the path reads the events).
    #[arg(long, env = "LS_ALLOW_INSECURE_WEBHOOKS", default_value_t = false)]
    pub allow_insecure_webhooks: bool,
    /// Allow webhook endpoints on loopback, private, link-local and metadata addresses (for
    /// development and tests; in production this lets admins reach the internal network).
    #[arg(long, env = "LS_ALLOW_PRIVATE_WEBHOOKS", default_value_t = false)]
    pub allow_private_webhooks: bool,
    /// Seconds one webhook delivery attempt may take, connecting to reading the answer.
    #[arg(long, env = "LS_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    pub webhook_timeout_secs: u64,
    /// Whether this replica delivers webhooks (replicas share the work; turn it off on
    /// replicas that should only answer requests).
    #[arg(long, env = "LS_WEBHOOK_DELIVERY", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_delivery: bool,
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
    /// `admin` does everything; `viewer` sees the pages and the audit log, changes nothing.
    #[arg(long, default_value = "admin", value_parser = role_parser())]
    pub role: app::api::types::Role,
    #[command(flatten)]
    pub db: DbArgs,
}

/// The roles by name, as `--help` lists them.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = app::api::types::Role> {
    use app::api::types::Role;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Role::ALL.map(Role::as_str))
        // Only listed names get here; anything else would get the least.
        .map(|name| name.parse::<Role>().unwrap_or(Role::Viewer))
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// The new master key file, made beforehand with `generate-master-key` and given to every
    /// server first. Rerunning with the same file resumes an interrupted rotation.
    #[arg(long)]
    pub new_key_file: PathBuf,
    /// Secrets re-sealed per transaction.
    #[arg(long, default_value_t = app::server::keys::rewrap::DEFAULT_BATCH)]
    pub batch_size: u64,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
}

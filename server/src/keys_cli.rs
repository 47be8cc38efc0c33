//! `licenseshipper keys …`: the API from a terminal or a script, through the typed client.
//! The key comes from `LS_API_KEY` only (a flag would show in `ps` and shell history); the
//! server from `--url` / `LS_URL`. Tables for people, `--json` (the API's own answer) for
//! scripts; exit codes follow sysexits.h.

use std::{io::Read, process::ExitCode};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use client::{
    types::{CreatedKey, KeyItem, KeyPage, NewKey, Scope, Verification},
    Client, Error,
};
use serde::Serialize;

#[derive(Debug, Args)]
pub struct KeysArgs {
    /// The server's address.
    #[arg(long, env = "LS_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Print the API's JSON answer (stable, for scripts) instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys, newest first (needs keys:read).
    List {
        /// Search by name or creator.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u64,
        #[arg(long)]
        page_size: Option<u64>,
    },
    /// One key (needs keys:read).
    Get { id: String },
    /// Create a key; its secret is printed once (needs keys:write).
    Create {
        name: String,
        #[arg(long)]
        project: Option<String>,
        /// A scope to grant (keys:read, keys:write, keys:verify); repeat for more.
        #[arg(long = "scope", value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// RFC 3339 time, e.g. 2027-01-31T23:59:59Z.
        #[arg(long)]
        expires_at: Option<DateTime<Utc>>,
        #[arg(long)]
        rate_limit_per_minute: Option<u32>,
        /// An IP range (CIDR) or address the key may be used from; repeat for more. None: anywhere.
        #[arg(long = "allow-cidr")]
        allowed_cidrs: Vec<String>,
        /// Keep only a hash: the secret can never be revealed again.
        #[arg(long)]
        not_recoverable: bool,
    },
    /// Give a key a new secret, printed once; the old one works --grace-seconds more.
    Roll {
        id: String,
        #[arg(long, default_value_t = 0)]
        grace_seconds: u64,
    },
    /// Disable a key (with --cascade, the keys it created too).
    Disable {
        id: String,
        #[arg(long)]
        cascade: bool,
    },
    /// Enable a key again.
    Enable { id: String },
    /// Delete a key (with --cascade, the keys it created too).
    Delete {
        id: String,
        #[arg(long)]
        cascade: bool,
    },
    /// Check a candidate key read from standard input (needs keys:verify). Exits 1 when it is
    /// not valid.
    Verify,
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    Scope::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown scope {s:?}: one of {}", all.join(", "))
    })
}

/// sysexits.h: what a script can tell apart.
pub mod exit {
    pub const USAGE: u8 = 64;
    pub const DATA: u8 = 65;
    pub const NOT_FOUND: u8 = 66;
    pub const UNAVAILABLE: u8 = 69;
    pub const SOFTWARE: u8 = 70;
    pub const TEMPORARY: u8 = 75;
    pub const NO_PERMISSION: u8 = 77;
}

fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Usage(_) => exit::USAGE,
        Error::Transport(_) => exit::UNAVAILABLE,
        // By the status each error is answered with (one table: `ErrorCode::status`).
        Error::Api { error, .. } => match error.status() {
            401 | 403 => exit::NO_PERMISSION,
            404 => exit::NOT_FOUND,
            408 | 429 => exit::TEMPORARY,
            400..=499 => exit::DATA,
            503 => exit::UNAVAILABLE,
            _ => exit::SOFTWARE,
        },
    }
}

/// What a command printed, and whether it succeeded.
struct Done {
    text: String,
    json: String,
    ok: bool,
}

fn done<T: Serialize>(answer: &T, text: String) -> Done {
    Done {
        text,
        json: serde_json::to_string_pretty(answer).expect("answers serialize"),
        ok: true,
    }
}

pub fn run(args: KeysArgs) -> ExitCode {
    let key = match std::env::var("LS_API_KEY") {
        Ok(key) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => {
            eprintln!("error: set LS_API_KEY to an API key (it is never taken as a flag)");
            return ExitCode::from(exit::USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::SOFTWARE);
        }
    };
    let json = args.json;
    match runtime.block_on(execute(args, key)) {
        Ok(out) => {
            println!("{}", if json { out.json } else { out.text });
            if out.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            if json {
                if let Some(error) = e.api() {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(error).expect("errors serialize")
                    );
                }
            }
            eprintln!("error: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

async fn execute(args: KeysArgs, key: String) -> Result<Done, Error> {
    let api = Client::new(&args.url, key)?;
    Ok(match args.command {
        KeysCommand::List {
            search,
            page,
            page_size,
        } => {
            let answer = api.list(search, page, page_size, None).await?;
            done(&answer, table(&answer))
        }
        KeysCommand::Get { id } => {
            let key = api.get(&id).await?;
            done(&key, describe(&key))
        }
        KeysCommand::Create {
            name,
            project,
            scopes,
            expires_at,
            rate_limit_per_minute,
            allowed_cidrs,
            not_recoverable,
        } => {
            let created = api
                .create(NewKey {
                    name,
                    project,
                    expires_at,
                    scopes,
                    recoverable: !not_recoverable,
                    rate_limit_per_minute,
                    allowed_cidrs,
                })
                .await?;
            done(&created, with_secret(&created))
        }
        KeysCommand::Roll { id, grace_seconds } => {
            let rolled = api.roll(&id, grace_seconds).await?;
            done(&rolled, with_secret(&rolled))
        }
        KeysCommand::Disable { id, cascade } => {
            let key = api.disable(&id, cascade).await?;
            done(&key, describe(&key))
        }
        KeysCommand::Enable { id } => {
            let key = api.enable(&id).await?;
            done(&key, describe(&key))
        }
        KeysCommand::Delete { id, cascade } => {
            api.delete(&id, cascade).await?;
            done(&serde_json::json!({"deleted": id}), format!("Deleted {id}"))
        }
        KeysCommand::Verify => {
            let mut candidate = String::new();
            std::io::stdin()
                .read_to_string(&mut candidate)
                .map_err(|e| Error::Usage(format!("cannot read the candidate key: {e}")))?;
            let verdict = api.verify(candidate.trim()).await?;
            let mut out = done(&verdict, verdict_text(&verdict));
            out.ok = verdict.valid;
            out
        }
    })
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "Never".into())
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

fn table(page: &KeyPage) -> String {
    let header = ["ID", "NAME", "STATUS", "LAST USED", "EXPIRES", "CREATED BY"];
    let rows: Vec<[String; 6]> = page
        .items
        .iter()
        .map(|k| {
            [
                k.id.clone(),
                cut(&k.name, 40),
                k.status.label().to_owned(),
                time(k.last_used_at),
                time(k.expires_at),
                cut(&k.created_by, 24),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    let first = (page.page - 1) * page.page_size + 1;
    let last = first + page.items.len() as u64 - 1;
    out.push(if page.items.is_empty() {
        format!(
            "No keys on page {} ({} in all)",
            page.page,
            page.total_text()
        )
    } else {
        format!("Showing {first}–{last} of {}", page.total_text())
    });
    out.join("\n")
}

fn describe(k: &KeyItem) -> String {
    let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
    [
        ("Name", k.name.clone()),
        ("ID", k.id.clone()),
        ("Project", k.project.clone().unwrap_or_else(|| "—".into())),
        ("Secret Key", k.masked.clone()),
        ("Status", k.status.label().to_owned()),
        (
            "Scopes",
            if scopes.is_empty() {
                "none".into()
            } else {
                scopes.join(" ")
            },
        ),
        ("Created At", time(Some(k.created_at))),
        ("Created By", k.created_by.clone()),
        ("Last Used", time(k.last_used_at)),
        ("Expires", time(k.expires_at)),
    ]
    .iter()
    .map(|(label, value)| format!("{label:<11} {value}"))
    .collect::<Vec<_>>()
    .join("\n")
}

fn with_secret(created: &CreatedKey) -> String {
    format!(
        "{}\n\nSecret key (shown once; store it now): {}",
        describe(&created.key),
        created.secret
    )
}

fn verdict_text(v: &Verification) -> String {
    if v.valid {
        format!(
            "valid: {} ({})",
            v.name.clone().unwrap_or_default(),
            v.key_id.clone().unwrap_or_default()
        )
    } else {
        format!(
            "not valid: {}",
            serde_json::to_value(v.code)
                .ok()
                .and_then(|c| c.as_str().map(str::to_owned))
                .unwrap_or_default()
        )
    }
}

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use server::{
    config::{Cli, Command, LogFormat},
    log_fields, log_format, run, ACCESS_LOG,
};
use tracing_subscriber::EnvFilter;

/// mimalloc, not the system allocator: every request allocates, and under load glibc's malloc
/// took about a quarter of a cached call's instructions (callgrind) and contended on its arena
/// locks (perf); see `make bench`'s http_load. What is wiped before it is freed (the master
/// key's bytes, `Zeroizing`) is wiped whichever allocator frees it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            // sysexits.h: a usage error is 64 (help and --version are no error).
            return if usage {
                ExitCode::from(server::keys_cli::exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The access log (a line per request) is for log shippers: on by default in JSON only.
    let access = match cli.log_format {
        LogFormat::Text => "warn",
        LogFormat::Json => "info",
    };
    let filter = ["LS_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| {
            format!("info,{ACCESS_LOG}={access},sqlx=warn,sea_orm=warn,sea_orm_migration=warn")
        });
    let keys_command = matches!(cli.command, Some(Command::Keys(_)));
    // Colours only for a person at a terminal who has not asked for none (`NO_COLOR`): not in
    // files and journals, and not paid for on every request's span when nobody sees them.
    let terminal = if keys_command {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colours = terminal && !no_color;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_ansi(colours);
    // The keys commands print their answers on stdout: their logs go to stderr.
    if keys_command {
        logs.with_writer(std::io::stderr).init();
    } else {
        match cli.log_format {
            LogFormat::Text => {
                let text = logs.event_format(log_format::Text::default());
                if colours {
                    text.init();
                } else {
                    text.fmt_fields(log_fields::TextFields).init();
                }
            }
            LogFormat::Json => logs.json().event_format(log_format::Json).init(),
        }
    }
    if let Some(Command::Keys(args)) = cli.command {
        return server::keys_cli::run(args);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

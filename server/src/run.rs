//! The subcommands: serve, migrate, create-admin, rotate-master-key.

use std::{io::BufRead, sync::Arc, time::Duration};

use app::server::{
    accounts::{password, NewAdmin},
    audit::Actor,
    clock::SystemClock,
    db,
    keys::{rewrap, vault_record},
    state::Settings,
    vault::{Keyring, MasterKey},
    AppState,
};
use sea_orm::DatabaseConnection;

use crate::{
    config::{
        Cli, Command, CreateAdminArgs, DbArgs, GenerateKeyArgs, MasterKeyArgs, RotateArgs,
        ServeArgs,
    },
    error::{redact_url, StartupError},
    Site,
};

pub async fn dispatch(cli: Cli) -> Result<(), StartupError> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => migrate(args).await,
        Some(Command::CreateAdmin(args)) => create_admin(args).await,
        Some(Command::RotateMasterKey(args)) => rotate_master_key(args).await,
        Some(Command::GenerateMasterKey(args)) => generate_master_key(&args),
        Some(Command::Openapi) => {
            print!("{}", crate::openapi_json());
            Ok(())
        }
        // main runs this one itself: it has its own exit codes and no async runtime of ours.
        Some(Command::Keys(_)) => Err(StartupError::Command("keys commands run from main".into())),
    }
}

/// Connects and applies migrations.
pub async fn open_database(args: &DbArgs) -> Result<DatabaseConnection, StartupError> {
    let url = &args.database_url;
    let conn = db::connect(url).await.map_err(|e| StartupError::Database {
        url: redact_url(url),
        message: e.to_string(),
    })?;
    db::migrate(&conn)
        .await
        .map_err(|e| StartupError::Migrate(e.to_string()))?;
    Ok(conn)
}

/// True when the master key was given as a command-line flag, which any local user can read
/// in the process list.
fn master_key_on_command_line() -> bool {
    std::env::args_os().any(|a| {
        a.to_str()
            .is_some_and(|a| a == "--master-key" || a.starts_with("--master-key="))
    })
}

/// The configured keyring: the current key seals, it and every previous key open. A key file is
/// created only for an empty database: a replica without the key must not invent its own.
pub async fn load_keyring(
    db: &DatabaseConnection,
    args: &MasterKeyArgs,
    may_create: bool,
) -> Result<Keyring, StartupError> {
    if master_key_on_command_line() {
        tracing::warn!(
            "--master-key shows the key in the process list (ps); prefer LS_MASTER_KEY_FILE or LS_MASTER_KEY"
        );
    }
    let current = match &args.master_key {
        Some(encoded) => MasterKey::from_base64(encoded)
            .map_err(|e| StartupError::MasterKey(format!("LS_MASTER_KEY: {e}")))?,
        None if args.master_key_file.exists() => MasterKey::load(&args.master_key_file)
            .map_err(|e| StartupError::MasterKey(e.to_string()))?,
        None if may_create => create_first_key(db, &args.master_key_file).await?,
        None => {
            return Err(StartupError::MasterKey(format!(
                "{} does not exist: give the current master key",
                args.master_key_file.display()
            )))
        }
    };
    let previous = args
        .previous_files()
        .iter()
        .map(|path| MasterKey::load(path).map_err(|e| StartupError::MasterKey(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Keyring::new(current, previous))
}

/// Creates the master key file for a vault that has none yet. Refused when the database already
/// names a key or holds sealed secrets (this server must be given that key, not invent its own),
/// and when another server claims the first key at the same moment.
async fn create_first_key(
    db: &DatabaseConnection,
    path: &std::path::Path,
) -> Result<MasterKey, StartupError> {
    let err = |e: app::server::error::ServiceError| StartupError::MasterKey(e.to_string());
    let mut known: Vec<String> = vault_record::recorded_key(db)
        .await
        .map_err(err)?
        .into_iter()
        .collect();
    for (id, _) in rewrap::sealed_counts(db).await.map_err(err)? {
        if !known.contains(&id) {
            known.push(id);
        }
    }
    let copy_it = |ids: &str| {
        StartupError::MasterKey(format!(
            "{} does not exist, but the database uses master key {ids}: copy the master key file \
             from the server that created it (a new key cannot open its secrets)",
            path.display()
        ))
    };
    if !known.is_empty() {
        return Err(copy_it(&known.join(", ")));
    }
    let key =
        MasterKey::load_or_create(path).map_err(|e| StartupError::MasterKey(e.to_string()))?;
    let winner = vault_record::claim_key(db, key.id()).await.map_err(err)?;
    if winner != key.id() {
        let _ = std::fs::remove_file(path);
        return Err(copy_it(&winner));
    }
    Ok(key)
}

async fn check_keyring(db: &DatabaseConnection, keyring: &Keyring) -> Result<(), StartupError> {
    rewrap::check_keyring(db, keyring)
        .await
        .map_err(|e| StartupError::MasterKey(e.to_string()))
}

pub async fn serve(args: ServeArgs) -> Result<(), StartupError> {
    let site = Arc::new(Site::choose(args.site_root.as_deref())?);
    let scanning_keys = args
        .scanning_public_keys_file
        .as_deref()
        .map(app::server::scanning::ScanningKeys::load)
        .transpose()
        .map_err(StartupError::ScanningKeys)?
        .map(Arc::new);
    let db = open_database(&args.db).await?;
    let keyring = load_keyring(&db, &args.master_key, true).await?;
    check_keyring(&db, &keyring).await?;
    vault_record::adopt_key(&db, &keyring)
        .await
        .map_err(|e| StartupError::MasterKey(e.to_string()))?;
    tracing::info!(current = keyring.primary_id(), all = ?keyring.ids(), "master keyring loaded");
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| StartupError::Listen {
            addr: args.listen.to_string(),
            message: e.to_string(),
        })?;
    let settings = Settings {
        secure_cookies: args.secure_cookies,
        trust_proxy: args.trust_proxy,
        failed_auth_per_minute: args.failed_auth_per_minute,
        usage_flush_interval: Duration::from_millis(args.usage_flush_ms.max(10)),
        body_timeout: Duration::from_secs(args.body_timeout_secs.max(1)),
        reauth_window: Duration::from_secs(args.reauth_window_secs.max(1)),
        scanning_keys,
        webhooks: app::server::webhooks::DeliverySettings {
            targets: app::server::webhooks::target::TargetPolicy {
                allow_insecure: args.allow_insecure_webhooks,
                allow_private: args.allow_private_webhooks,
            },
            deliver: args.webhook_delivery,
            timeout: Duration::from_secs(args.webhook_timeout_secs.clamp(1, 300)),
            ..Default::default()
        },
        ..Settings::default()
    };
    let state = AppState::start(db, keyring, Arc::new(SystemClock), settings);
    match site.root.clone() {
        Some(root) => {
            tracing::info!(root = %root.display(), "serving the client from a directory");
            tokio::task::spawn_blocking(move || crate::site::precompress(&root));
        }
        None => tracing::info!("serving the client built into this binary"),
    }
    tokio::spawn(password::warm_up());
    if let Some(addr) = args.metrics_listen {
        crate::metrics::serve(addr, state.clone()).await?;
    }
    let app = crate::router(state.clone(), site);
    tracing::info!(addr = %args.listen, "listening on http://{}", args.listen);
    // For whoever started it (`make run`): where to go, and on a first start, what to do there.
    // On stderr: standard output is the log stream (JSON lines for a shipper).
    eprintln!(
        "LicenseShipper Keys is running: open http://{}",
        args.listen
    );
    if state.accounts.needs_setup().await.unwrap_or(false) {
        eprintln!(
            "First start: http://{}/setup creates the first admin.",
            args.listen
        );
    }
    crate::connections::serve(
        listener,
        app,
        shutdown_signal(),
        Duration::from_secs(args.header_timeout_secs.max(1)),
    )
    .await;
    state.shutdown().await;
    tracing::info!("stopped; usage flushed");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn migrate(args: DbArgs) -> Result<(), StartupError> {
    open_database(&args).await?;
    println!("migrations applied");
    Ok(())
}

fn read_password() -> Result<String, StartupError> {
    if let Ok(p) = std::env::var("LS_ADMIN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        StartupError::Command(format!("cannot read the password from standard input: {e}"))
    })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create_admin(args: CreateAdminArgs) -> Result<(), StartupError> {
    let password = read_password()?;
    let db = open_database(&args.db).await?;
    let accounts = app::server::accounts::Accounts::new(
        db,
        Arc::new(SystemClock),
        Arc::new(password::HashGate::per_core()),
    );
    let user = accounts
        .create_admin(
            &Actor::system("licenseshipper create-admin"),
            NewAdmin {
                email: &args.email,
                name: &args.name,
                password: &password,
                role: args.role,
            },
        )
        .await
        .map_err(|e| StartupError::Command(app::api::ApiError::from(e).to_string()))?;
    println!(
        "created {} {} <{}>",
        user.role().label().to_lowercase(),
        user.name,
        user.email
    );
    Ok(())
}

/// Re-seals every stored secret under the new key. The configured keys (current and previous)
/// and the new one all open, so an interrupted run is finished by running it again.
async fn rotate_master_key(args: RotateArgs) -> Result<(), StartupError> {
    let db = open_database(&args.db).await?;
    let configured = load_keyring(&db, &args.master_key, false).await?;
    // Never invented here: a key that only this machine holds would leave every server unable
    // to open what the rotation re-sealed.
    let new = MasterKey::load(&args.new_key_file).map_err(|e| {
        StartupError::MasterKey(format!(
            "{e}; create the new key first with `licenseshipper generate-master-key --out {}` and give it to every server",
            args.new_key_file.display()
        ))
    })?;
    let new_id = new.id().to_owned();
    let keyring = configured.rotating_to(new);
    check_keyring(&db, &keyring).await?;
    vault_record::adopt_key(&db, &keyring)
        .await
        .map_err(|e| StartupError::MasterKey(e.to_string()))?;
    let done = rewrap::rewrap_all(
        &db,
        &keyring,
        chrono::Utc::now().timestamp_millis(),
        args.batch_size,
    )
    .await
    .map_err(|e| StartupError::Command(format!("rotation failed (run it again to resume): {e}")))?;
    println!(
        "re-sealed {} secrets under master key {new_id}",
        done.rewrapped
    );
    if done.unreadable > 0 {
        println!(
            "{} stored secrets failed authentication (tampered): dropped, so those keys can no longer be revealed (see the log and the audit log)",
            done.unreadable
        );
    }
    if done.remaining > 0 {
        println!(
            "{} secrets are still sealed under an older key (a server still seals with it): start \
             every server with LS_MASTER_KEY_FILE={} and the old key in LS_PREVIOUS_MASTER_KEY_FILE, \
             then run this again",
            done.remaining,
            args.new_key_file.display()
        );
    } else if done.remaining == 0 {
        println!(
            "every secret is sealed under {new_id}: start every server with LS_MASTER_KEY_FILE={} \
             (the old key is no longer needed once they all run with it)",
            args.new_key_file.display()
        );
    }
    Ok(())
}

/// Writes a fresh master key to a new file (mode 0600 from the start; never overwrites).
fn generate_master_key(args: &GenerateKeyArgs) -> Result<(), StartupError> {
    if args.out.exists() {
        return Err(StartupError::MasterKey(format!(
            "{} already exists; refusing to overwrite a key",
            args.out.display()
        )));
    }
    let key =
        MasterKey::load_or_create(&args.out).map_err(|e| StartupError::MasterKey(e.to_string()))?;
    println!(
        "wrote master key {} to {} (mode 0600)",
        key.id(),
        args.out.display()
    );
    Ok(())
}

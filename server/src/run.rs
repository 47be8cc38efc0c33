//! The subcommands: serve, migrate, create-admin, rotate-master-key.

use std::{io::BufRead, net::SocketAddr, sync::Arc, time::Duration};

use app::server::{
    accounts::{password, NewAdmin},
    audit::Actor,
    clock::SystemClock,
    db,
    keys::rewrap,
    state::Settings,
    vault::{Keyring, MasterKey},
    AppState,
};
use sea_orm::DatabaseConnection;

use crate::{
    config::{Cli, Command, CreateAdminArgs, DbArgs, MasterKeyArgs, RotateArgs, ServeArgs},
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

pub fn load_master_key(args: &MasterKeyArgs) -> Result<MasterKey, StartupError> {
    match &args.master_key {
        Some(encoded) => MasterKey::from_base64(encoded)
            .map_err(|e| StartupError::MasterKey(format!("LS_MASTER_KEY: {e}"))),
        None => MasterKey::load_or_create(&args.master_key_file)
            .map_err(|e| StartupError::MasterKey(e.to_string())),
    }
}

async fn check_keyring(db: &DatabaseConnection, keyring: &Keyring) -> Result<(), StartupError> {
    rewrap::check_keyring(db, keyring)
        .await
        .map_err(|e| StartupError::MasterKey(e.to_string()))
}

pub async fn serve(args: ServeArgs) -> Result<(), StartupError> {
    let site = Arc::new(Site::load(&args.site_root)?);
    let db = open_database(&args.db).await?;
    let keyring = Keyring::new(load_master_key(&args.master_key)?, vec![]);
    check_keyring(&db, &keyring).await?;
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
        ..Settings::default()
    };
    let state = AppState::start(db, keyring, Arc::new(SystemClock), settings);
    let root = site.root.clone();
    tokio::task::spawn_blocking(move || crate::site::precompress(&root));
    tokio::spawn(password::warm_up());
    let app = crate::router(state.clone(), site);
    tracing::info!(addr = %args.listen, "listening on http://{}", args.listen);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    state.shutdown().await;
    tracing::info!("stopped; usage flushed");
    served.map_err(|e| StartupError::Command(format!("server error: {e}")))
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
    let accounts = app::server::accounts::Accounts::new(db, Arc::new(SystemClock));
    let user = accounts
        .create_admin(
            &Actor::system("licenseshipper create-admin"),
            NewAdmin {
                email: &args.email,
                name: &args.name,
                password: &password,
            },
        )
        .await
        .map_err(|e| StartupError::Command(app::api::ApiError::from(e).to_string()))?;
    println!("created admin {} <{}>", user.name, user.email);
    Ok(())
}

async fn rotate_master_key(args: RotateArgs) -> Result<(), StartupError> {
    let db = open_database(&args.db).await?;
    let old = load_master_key(&args.master_key)?;
    check_keyring(&db, &Keyring::new(old, vec![])).await?;
    let old = load_master_key(&args.master_key)?;
    let new = MasterKey::load_or_create(&args.new_key_file)
        .map_err(|e| StartupError::MasterKey(e.to_string()))?;
    let new_id = new.id().to_owned();
    let keyring = Keyring::new(new, vec![old]);
    let count = rewrap::rewrap_all(&db, &keyring, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(|e| StartupError::Command(format!("rotation failed: {e}")))?;
    println!(
        "re-encrypted {count} secrets under master key {new_id}; start the server with LS_MASTER_KEY_FILE={}",
        args.new_key_file.display()
    );
    Ok(())
}

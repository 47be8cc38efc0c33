//! Everything a request needs, built once at start-up and shared by every server function.

use std::{ops::Deref, sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinHandle};

use super::{
    accounts::{
        password::{self, HashGate},
        Accounts,
    },
    clock::SharedClock,
    keys::{cache::KeyCache, revocation, usage::UsageBuffer, KeyService},
    ratelimit::WindowLimiter,
    vault::Keyring,
    webhooks::{DeliverySettings, Webhooks},
};

#[derive(Debug, Clone)]
pub struct Settings {
    /// Adds `Secure` to cookies and sends HSTS (on behind TLS).
    pub secure_cookies: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy: bool,
    /// Failed API-key authentications allowed per client IP per minute.
    pub failed_auth_per_minute: u32,
    pub usage_flush_interval: Duration,
    pub cache_ttl: Duration,
    /// A request body must arrive within this long (slow uploads cannot hold a connection).
    pub body_timeout: Duration,
    /// Password hashes computed at once (each holds ~19 MiB), and how long a login waits for
    /// one before being told to retry.
    pub hashing_slots: usize,
    pub hashing_wait: Duration,
    /// Sudo mode: how long an admin session may do sensitive things after its password.
    pub reauth_window: Duration,
    /// The secret-scanning partner's verifying keys; without them the report endpoint is 404.
    pub scanning_keys: Option<Arc<super::scanning::ScanningKeys>>,
    /// Where webhooks may go, and how this replica delivers them.
    pub webhooks: DeliverySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            trust_proxy: false,
            failed_auth_per_minute: 20,
            usage_flush_interval: Duration::from_secs(1),
            cache_ttl: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            hashing_slots: password::cores(),
            hashing_wait: password::SLOT_WAIT,
            reauth_window: super::caller::DEFAULT_REAUTH_WINDOW,
            scanning_keys: None,
            webhooks: DeliverySettings::default(),
        }
    }
}

pub struct Inner {
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub keys: KeyService,
    pub accounts: Accounts,
    pub webhooks: Arc<Webhooks>,
    pub settings: Settings,
    /// Failed key authentications per client IP.
    pub auth_failures: WindowLimiter,
    /// Requests per key, for keys with a rate limit.
    pub key_requests: WindowLimiter,
    /// CSV exports running now (each holds a pooled connection while it streams).
    pub exports: Arc<tokio::sync::Semaphore>,
    shutdown: watch::Sender<bool>,
    flusher: std::sync::Mutex<Option<JoinHandle<()>>>,
    listener: std::sync::Mutex<Option<JoinHandle<()>>>,
    deliverer: std::sync::Mutex<Option<JoinHandle<()>>>,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Sudo mode for `caller`: an admin session must have entered its password within this
    /// server's window (API keys pass; see [`Caller::require_recent_password`]).
    pub fn require_recent_password(
        &self,
        caller: &super::Caller,
    ) -> Result<(), crate::api::ApiError> {
        caller.require_recent_password(self.clock.now_ms(), self.settings.reauth_window)
    }

    /// Builds the services and starts the background tasks (usage flusher, webhook worker, and
    /// on PostgreSQL the revocation listener). Must run inside a tokio runtime.
    pub fn start(
        db: DatabaseConnection,
        keyring: Keyring,
        clock: SharedClock,
        settings: Settings,
    ) -> Self {
        let cache = Arc::new(KeyCache::new(
            true,
            settings.cache_ttl.as_millis() as i64,
            100_000,
        ));
        let usage = Arc::new(UsageBuffer::default());
        let keyring = Arc::new(keyring);
        let outbox_wake = Arc::new(tokio::sync::Notify::new());
        let keys = KeyService::new(
            db.clone(),
            keyring.clone(),
            clock.clone(),
            cache.clone(),
            usage.clone(),
            outbox_wake.clone(),
        );
        let webhooks = Arc::new(Webhooks::new(
            db.clone(),
            keyring,
            clock.clone(),
            settings.webhooks.clone(),
            outbox_wake.clone(),
        ));
        let (shutdown, mut stop) = watch::channel(false);
        let deliverer = tokio::spawn(super::webhooks::worker::run(
            webhooks.clone(),
            outbox_wake,
            shutdown.subscribe(),
        ));
        let listener = revocation::spawn_listener(&db, cache);
        let flush_db = db.clone();
        let interval = settings.usage_flush_interval;
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                if let Err(e) = usage.flush(&flush_db).await {
                    tracing::error!(error = %e, "usage flush failed; will retry");
                }
            }
        });
        Self(Arc::new(Inner {
            accounts: Accounts::new(
                db.clone(),
                clock.clone(),
                Arc::new(HashGate::new(settings.hashing_slots, settings.hashing_wait)),
            ),
            db,
            clock,
            keys,
            webhooks,
            auth_failures: WindowLimiter::new(60_000),
            key_requests: WindowLimiter::new(60_000),
            exports: Arc::new(tokio::sync::Semaphore::new(super::export::MAX_EXPORTS)),
            settings,
            shutdown,
            flusher: std::sync::Mutex::new(Some(flusher)),
            listener: std::sync::Mutex::new(listener),
            deliverer: std::sync::Mutex::new(Some(deliverer)),
        }))
    }

    /// Stops the background tasks and writes buffered usage.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        // The flusher finishes the write it may be in, then stops.
        let flusher = self.flusher.lock().expect("task lock").take();
        if let Some(flusher) = flusher {
            let _ = flusher.await;
        }
        // A delivery in flight may finish briefly; one cut off is sent again after its lease.
        let deliverer = self.deliverer.lock().expect("task lock").take();
        if let Some(mut deliverer) = deliverer {
            if tokio::time::timeout(Duration::from_secs(2), &mut deliverer)
                .await
                .is_err()
            {
                deliverer.abort();
            }
        }
        let listener = self.listener.lock().expect("task lock").take();
        if let Some(listener) = listener {
            listener.abort();
        }
        if let Err(e) = self.keys.usage_buffer().flush(&self.db).await {
            tracing::error!(error = %e, "final usage flush failed");
        }
    }
}

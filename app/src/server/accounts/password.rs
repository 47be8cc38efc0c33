//! Argon2id password hashing, off the async threads, at most one hash per core at a time.

use std::{sync::OnceLock, time::Duration};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::api::error::ApiError;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::server::error::{ServiceError, ServiceResult};

/// Admits a bounded number of password hashes at once: each Argon2id hash holds ~19 MiB, so
/// unbounded parallel logins would be an unauthenticated memory exhaustion. A caller waits up to
/// `wait` for a slot, then is told to retry (429 with `Retry-After`).
pub struct HashGate {
    slots: Semaphore,
    wait: Duration,
}

/// A held hashing slot.
pub type Slot = SemaphorePermit<'static>;

impl HashGate {
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self {
            slots: Semaphore::new(slots.max(1)),
            wait,
        }
    }

    pub async fn enter(&self) -> ServiceResult<SemaphorePermit<'_>> {
        match tokio::time::timeout(self.wait, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::RateLimited { retry_after: 1 }.into()),
        }
    }
}

/// How long a login waits for a hashing slot before being told to retry.
pub const SLOT_WAIT: Duration = Duration::from_secs(3);

/// The process-wide gate: one slot per core.
fn gate() -> &'static HashGate {
    static GATE: OnceLock<HashGate> = OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashGate::new(cores, SLOT_WAIT)
    })
}

/// Waits for a hashing slot (see [`HashGate`]).
pub async fn slot() -> ServiceResult<Slot> {
    gate().enter().await
}

pub async fn hash(password: String) -> ServiceResult<String> {
    let _slot = slot().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task failed: {e}")))?
}

/// Checks `password` against `stored`; with no stored hash it checks a dummy one, so that an
/// unknown email costs the same time as a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> ServiceResult<bool> {
    let slot = slot().await?;
    verify_in(&slot, password, stored).await
}

/// [`verify`] for a caller that already holds a hashing slot.
pub async fn verify_in(
    _slot: &Slot,
    password: String,
    stored: Option<String>,
) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verification task failed: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"licenseshipper timing equaliser", &salt)
            .expect("hashing a constant cannot fail")
            .to_string()
    })
}

/// Computes the dummy hash ahead of the first login.
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(dummy_hash).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_is_bounded_and_the_excess_is_told_to_retry() {
        let gate = HashGate::new(1, Duration::from_millis(50));
        let held = gate.enter().await.unwrap();
        let refused = gate.enter().await.unwrap_err();
        assert!(matches!(
            ApiError::from(refused),
            ApiError::RateLimited { retry_after: 1 }
        ));
        drop(held);
        assert!(gate.enter().await.is_ok(), "a freed slot is taken again");
    }
}

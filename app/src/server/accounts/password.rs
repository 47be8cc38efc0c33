//! Argon2id password hashing, off the async threads, a bounded number at a time.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::error::ApiError;
use crate::server::error::{ServiceError, ServiceResult};

/// How long a caller waits for a hashing slot before being told to retry.
pub const SLOT_WAIT: Duration = Duration::from_secs(3);

/// The default number of hashing slots: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Admits a bounded number of password hashes at once: each Argon2id hash holds ~19 MiB, so
/// unbounded parallel logins would be an unauthenticated memory exhaustion. A caller waits up to
/// `wait` for a slot, then is told to retry (429 with `Retry-After`). The slot travels with the
/// hash onto the blocking thread, so a client that hangs up does not free it early.
pub struct HashGate {
    slots: Arc<Semaphore>,
    wait: Duration,
}

/// A held hashing slot.
pub type Slot = OwnedSemaphorePermit;

impl HashGate {
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
        }
    }

    /// One slot per core, waiting [`SLOT_WAIT`].
    pub fn per_core() -> Self {
        Self::new(cores(), SLOT_WAIT)
    }

    /// Slots free right now.
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }

    pub async fn enter(&self) -> ServiceResult<Slot> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::RateLimited { retry_after: 1 }.into()),
        }
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> ServiceResult<String> {
        let slot = self.enter().await?;
        Self::hash_in(slot, password).await
    }

    async fn hash_in(slot: Slot, password: String) -> ServiceResult<String> {
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing task failed: {e}")))?
    }

    /// Checks `password` against `stored` (see [`verify_in`]).
    pub async fn verify(&self, password: String, stored: Option<String>) -> ServiceResult<bool> {
        let slot = self.enter().await?;
        verify_in(slot, password, stored).await
    }
}

/// Checks `password` against `stored` in a slot already held; with no stored hash it checks a
/// dummy one, so that an unknown email costs the same time as a wrong password.
pub async fn verify_in(
    slot: Slot,
    password: String,
    stored: Option<String>,
) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
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

    #[tokio::test]
    async fn a_slot_is_held_until_the_hash_itself_ends() {
        let gate = HashGate::new(1, Duration::from_millis(20));
        let slot = gate.enter().await.unwrap();
        // The caller gives up (its future is dropped) while the hash runs on.
        let gave_up = tokio::time::timeout(
            Duration::from_millis(1),
            verify_in(slot, "x".repeat(64), None),
        )
        .await;
        assert!(gave_up.is_err());
        assert_eq!(gate.free(), 0, "an abandoned hash still holds its slot");
    }
}

//! Time as the service sees it: the system clock in production, a hand-driven one in tests.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;

    fn now(&self) -> DateTime<Utc> {
        from_ms(self.now_ms())
    }
}

pub type SharedClock = Arc<dyn Clock>;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

#[cfg(any(test, feature = "testing"))]
pub use manual::ManualClock;

/// A clock that only moves when told to (for expiry, grace and throttle tests). Only in test
/// builds (the `testing` feature), never in the released binary.
#[cfg(any(test, feature = "testing"))]
mod manual {
    use std::sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    };

    use chrono::Utc;

    use super::Clock;

    #[derive(Default)]
    pub struct ManualClock(AtomicI64);

    impl ManualClock {
        pub fn starting_now() -> Arc<Self> {
            Arc::new(Self(AtomicI64::new(Utc::now().timestamp_millis())))
        }

        pub fn advance_ms(&self, ms: i64) {
            self.0.fetch_add(ms, Ordering::SeqCst);
        }

        pub fn advance_secs(&self, secs: i64) {
            self.advance_ms(secs * 1000);
        }
    }

    impl Clock for ManualClock {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }
}

/// A day in milliseconds (timestamps are Unix milliseconds everywhere).
pub const DAY_MS: i64 = 86_400_000;

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

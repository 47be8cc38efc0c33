//! In-process fixed-window counters: failed authentications per IP and requests per key.

use std::{collections::HashMap, sync::Mutex};

pub struct WindowLimiter {
    window_ms: i64,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl WindowLimiter {
    pub fn new(window_ms: i64) -> Self {
        Self {
            window_ms,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `subject` may try again, if it has used up `limit` in the current window.
    pub fn blocked(&self, subject: &str, limit: u32, now_ms: i64) -> Option<u64> {
        let windows = self.windows.lock().expect("limiter lock");
        match windows.get(subject) {
            Some(&(start, count)) if now_ms - start < self.window_ms && count >= limit => {
                Some(retry_after(start + self.window_ms - now_ms))
            }
            _ => None,
        }
    }

    /// Counts one event; answers `Err(retry_after)` when this event goes over `limit`.
    pub fn hit(&self, subject: &str, limit: u32, now_ms: i64) -> Result<(), u64> {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now_ms - *start < self.window_ms);
        }
        let entry = windows.entry(subject.to_owned()).or_insert((now_ms, 0));
        if now_ms - entry.0 >= self.window_ms {
            *entry = (now_ms, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            Err(retry_after(entry.0 + self.window_ms - now_ms))
        } else {
            Ok(())
        }
    }
}

fn retry_after(ms: i64) -> u64 {
    (ms.max(0) as u64).div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let l = WindowLimiter::new(60_000);
        for _ in 0..3 {
            assert!(l.hit("a", 3, 0).is_ok());
        }
        assert_eq!(l.blocked("a", 3, 1_000), Some(59));
        assert_eq!(l.hit("a", 3, 1_000), Err(59));
        assert_eq!(l.blocked("b", 3, 1_000), None);
        assert_eq!(l.blocked("a", 3, 60_000), None);
        assert!(l.hit("a", 3, 60_000).is_ok());
    }
}

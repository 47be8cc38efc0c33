//! In-process fixed-window counters (failed authentications per address, requests per key),
//! bounded in memory: the least recently seen subjects are forgotten first, and every call is
//! O(1).

use std::{num::NonZeroUsize, sync::Mutex};

use lru::LruCache;

/// Subjects remembered at most; beyond that the least recently seen one is dropped.
pub const MAX_SUBJECTS: usize = 100_000;

pub struct WindowLimiter {
    window_ms: i64,
    windows: Mutex<LruCache<String, (i64, u32)>>,
}

impl WindowLimiter {
    pub fn new(window_ms: i64) -> Self {
        Self::bounded(window_ms, MAX_SUBJECTS)
    }

    pub fn bounded(window_ms: i64, capacity: usize) -> Self {
        Self {
            window_ms,
            windows: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("capacity is at least 1"),
            )),
        }
    }

    /// Counts one event; answers `Err(retry_after)` when this event goes over `limit`.
    pub fn hit(&self, subject: &str, limit: u32, now_ms: i64) -> Result<(), u64> {
        let mut windows = self.windows.lock().expect("limiter lock");
        let entry = match windows.get_mut(subject) {
            Some(entry) => entry,
            None => {
                windows.push(subject.to_owned(), (now_ms, 0));
                windows.get_mut(subject).expect("inserted above")
            }
        };
        if now_ms - entry.0 >= self.window_ms {
            *entry = (now_ms, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > limit {
            Err(retry_after(entry.0 + self.window_ms - now_ms))
        } else {
            Ok(())
        }
    }

    /// Whether `subject` is already over `limit` in its current window (without counting a hit):
    /// `Err(retry_after)` if so.
    pub fn over(&self, subject: &str, limit: u32, now_ms: i64) -> Result<(), u64> {
        let windows = self.windows.lock().expect("limiter lock");
        match windows.peek(subject) {
            Some(&(start, count)) if now_ms - start < self.window_ms && count > limit => {
                Err(retry_after(start + self.window_ms - now_ms))
            }
            _ => Ok(()),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.windows.lock().expect("limiter lock").len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an address counts as: IPv4 addresses (IPv4-mapped IPv6 included) each on their own,
/// IPv6 addresses by their /64 — one host usually holds a whole /64, and could otherwise rotate
/// through it to escape every per-address limit. Text that is no address counts as itself.
pub fn address_group(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

fn retry_after(ms: i64) -> u64 {
    (ms.max(0) as u64).div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_over_the_limit_until_the_window_passes() {
        let l = WindowLimiter::new(60_000);
        for _ in 0..3 {
            assert!(l.hit("a", 3, 0).is_ok());
        }
        assert_eq!(l.hit("a", 3, 1_000), Err(59));
        assert!(l.hit("b", 3, 1_000).is_ok());
        assert!(l.hit("a", 3, 60_000).is_ok());
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_least_recent() {
        let l = WindowLimiter::bounded(60_000, 1_000);
        for i in 0..50_000 {
            let _ = l.hit(&format!("198.51.{}.{}", i / 256, i % 256), 20, 0);
        }
        assert_eq!(l.len(), 1_000);
        // The most recent subjects are still counted.
        for _ in 0..20 {
            let _ = l.hit("203.0.113.1", 20, 0);
        }
        assert!(l.hit("203.0.113.1", 20, 0).is_err());
    }

    #[test]
    fn ipv6_hosts_count_by_their_64() {
        assert_eq!(address_group("203.0.113.9"), "203.0.113.9");
        assert_eq!(address_group("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(address_group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            address_group("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_group("2001:db8:1:2::7")
        );
        assert_ne!(
            address_group("2001:db8:1:3::1"),
            address_group("2001:db8:1:2::1")
        );
        assert_eq!(address_group("unknown"), "unknown");
    }
}

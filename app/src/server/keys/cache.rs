//! A small verification cache keyed by lookup hash.
//!
//! It can never keep a revoked key alive: every mutation invalidates the key's entries and records
//! the epoch at which it did, and a database read of that key started before the invalidation is
//! not cached afterwards (reads of other keys still are, so churn elsewhere costs no hit rate).
//! Across replicas, invalidations arrive by PostgreSQL NOTIFY; while that channel is down the
//! cache is switched off.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{Duration, Instant},
};

use rustc_hash::FxHashMap;

use crate::api::types::Scope;

/// What verification needs to know about a key, as of one database read.
#[derive(Debug, Clone)]
pub struct KeySnapshot {
    pub key_id: String,
    pub name: String,
    pub project: Option<String>,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<i64>,
    pub disabled: bool,
    pub rate_limit_per_minute: Option<u32>,
    /// Where the key may be used from; empty for anywhere.
    pub allowed_cidrs: Vec<ipnet::IpNet>,
    /// Set when the presented secret is a rolled key's previous one: when it stops working.
    pub grace_ends_at: Option<i64>,
    pub previous_secret: bool,
    /// The lookup hash of the secret presented (a rolled key's current or previous one).
    pub secret_hash: String,
}

/// When a database read began: the cache epoch and the moment.
#[derive(Debug, Clone, Copy)]
pub struct ReadEpoch(u64, Instant);

struct Entry {
    snapshot: Arc<KeySnapshot>,
    fetched_at_ms: i64,
}

/// A database read older than this is never cached (invalidation records are kept this long).
const MAX_READ_AGE: Duration = Duration::from_secs(30);

pub struct KeyCache {
    /// By the SHA-256 (hex) of a key's secret. Only keys found in the database are entered, and
    /// their secrets are random, so no caller chooses what a fast unseeded hash has to hold.
    entries: RwLock<FxHashMap<String, Entry>>,
    epoch: AtomicU64,
    /// Per key: the epoch of its latest invalidation, and when it happened. A seeded hash: the
    /// ids also come from NOTIFY payloads, which any session on the database can send.
    invalidated: Mutex<HashMap<String, (u64, Instant)>>,
    /// The epoch of the latest `clear`: no read started before it may be cached.
    floor: AtomicU64,
    enabled: AtomicBool,
    ttl_ms: i64,
    capacity: usize,
}

impl KeyCache {
    pub fn new(enabled: bool, ttl_ms: i64, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(FxHashMap::default()),
            epoch: AtomicU64::new(0),
            invalidated: Mutex::new(HashMap::new()),
            floor: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled),
            ttl_ms,
            capacity,
        }
    }

    pub fn get(&self, hash: &str, now_ms: i64) -> Option<Arc<KeySnapshot>> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().expect("cache lock");
        entries
            .get(hash)
            .filter(|e| now_ms - e.fetched_at_ms < self.ttl_ms)
            .map(|e| e.snapshot.clone())
    }

    /// The epoch to pass to [`insert`](Self::insert) for a read that starts now.
    pub fn epoch(&self) -> ReadEpoch {
        ReadEpoch(self.epoch.load(Ordering::Acquire), Instant::now())
    }

    /// Caches a snapshot read since `read`, unless its key (or the whole cache) was invalidated
    /// after the read began.
    pub fn insert(&self, hash: String, snapshot: Arc<KeySnapshot>, read: ReadEpoch, now_ms: i64) {
        if !self.enabled.load(Ordering::Acquire) || read.1.elapsed() > MAX_READ_AGE {
            return;
        }
        let mut entries = self.entries.write().expect("cache lock");
        // Checked under the write lock: invalidations update their records while holding it.
        if self.floor.load(Ordering::Acquire) > read.0 {
            return;
        }
        let stale = self
            .invalidated
            .lock()
            .expect("cache lock")
            .get(&snapshot.key_id)
            .is_some_and(|(at_epoch, _)| *at_epoch > read.0);
        if stale {
            return;
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, e| now_ms - e.fetched_at_ms < self.ttl_ms);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            hash,
            Entry {
                snapshot,
                fetched_at_ms: now_ms,
            },
        );
    }

    pub fn invalidate(&self, key_id: &str) {
        let mut entries = self.entries.write().expect("cache lock");
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        let mut invalidated = self.invalidated.lock().expect("cache lock");
        if invalidated.len() > 10_000 {
            invalidated.retain(|_, (_, at)| at.elapsed() <= MAX_READ_AGE);
        }
        invalidated.insert(key_id.to_owned(), (epoch, Instant::now()));
        entries.retain(|_, e| e.snapshot.key_id != key_id);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write().expect("cache lock");
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        self.floor.store(epoch, Ordering::Release);
        entries.clear();
    }

    /// Switches caching on or off (off while cross-replica invalidations cannot be received).
    /// Either way the cache is cleared and its floor raised first: a read begun while it was
    /// off may predate an invalidation that was missed, so it must never be cached afterwards.
    pub fn set_enabled(&self, enabled: bool) {
        self.clear();
        self.enabled.store(enabled, Ordering::Release);
    }

    pub fn len(&self) -> usize {
        self.entries.read().expect("cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: &str) -> Arc<KeySnapshot> {
        Arc::new(KeySnapshot {
            key_id: id.into(),
            name: "n".into(),
            project: None,
            scopes: vec![],
            expires_at: None,
            disabled: false,
            rate_limit_per_minute: None,
            allowed_cidrs: vec![],
            grace_ends_at: None,
            previous_secret: false,
            secret_hash: format!("hash of {id}"),
        })
    }

    #[test]
    fn a_read_racing_an_invalidation_is_not_cached() {
        let cache = KeyCache::new(true, 60_000, 10);
        let epoch = cache.epoch();
        cache.invalidate("k1");
        cache.insert("h1".into(), snap("k1"), epoch, 0);
        assert!(cache.get("h1", 0).is_none());
    }

    #[test]
    fn churn_on_other_keys_does_not_stop_caching() {
        let cache = KeyCache::new(true, 60_000, 10);
        let epoch = cache.epoch();
        cache.invalidate("k2");
        cache.insert("h1".into(), snap("k1"), epoch, 0);
        assert!(cache.get("h1", 0).is_some());
        let epoch = cache.epoch();
        cache.clear();
        cache.insert("h1".into(), snap("k1"), epoch, 0);
        assert!(
            cache.get("h1", 0).is_none(),
            "a clear rejects reads begun before it"
        );
    }

    #[test]
    fn invalidation_removes_every_hash_of_the_key() {
        let cache = KeyCache::new(true, 60_000, 10);
        cache.insert("h1".into(), snap("k1"), cache.epoch(), 0);
        cache.insert("h2".into(), snap("k1"), cache.epoch(), 0);
        cache.insert("h3".into(), snap("k2"), cache.epoch(), 0);
        cache.invalidate("k1");
        assert!(cache.get("h1", 0).is_none());
        assert!(cache.get("h2", 0).is_none());
        assert!(cache.get("h3", 0).is_some());
        assert!(cache.get("h3", 60_000).is_none(), "expired by ttl");
    }

    #[test]
    fn a_read_begun_while_off_is_not_cached_after_switching_on() {
        // The listener is down: the cache is off and an invalidation can be missed.
        let cache = KeyCache::new(false, 60_000, 10);
        let read_while_off = cache.epoch();
        // The listener comes back and the cache is switched on before that read finishes.
        cache.set_enabled(true);
        cache.insert("h1".into(), snap("k1"), read_while_off, 0);
        assert!(
            cache.get("h1", 0).is_none(),
            "a read from before the cache came back may be stale"
        );
        cache.insert("h1".into(), snap("k1"), cache.epoch(), 0);
        assert!(cache.get("h1", 0).is_some());
    }

    #[test]
    fn disabled_cache_stores_nothing() {
        let cache = KeyCache::new(true, 60_000, 10);
        cache.insert("h1".into(), snap("k1"), cache.epoch(), 0);
        cache.set_enabled(false);
        assert!(cache.get("h1", 0).is_none());
        cache.insert("h2".into(), snap("k1"), cache.epoch(), 0);
        assert!(cache.is_empty());
    }
}

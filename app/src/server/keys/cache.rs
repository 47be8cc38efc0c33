//! A small verification cache keyed by lookup hash.
//!
//! It can never keep a revoked key alive: every mutation invalidates the key's entries and bumps
//! an epoch, and a database read started before an invalidation is not cached afterwards. Across
//! replicas, invalidations arrive by PostgreSQL NOTIFY; while that channel is down the cache is
//! switched off.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, RwLock,
    },
};

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
    /// Set when the presented secret is a rolled key's previous one: when it stops working.
    pub grace_ends_at: Option<i64>,
    pub previous_secret: bool,
}

struct Entry {
    snapshot: Arc<KeySnapshot>,
    fetched_at_ms: i64,
}

pub struct KeyCache {
    entries: RwLock<HashMap<String, Entry>>,
    epoch: AtomicU64,
    enabled: AtomicBool,
    ttl_ms: i64,
    capacity: usize,
}

impl KeyCache {
    pub fn new(enabled: bool, ttl_ms: i64, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
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
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches a snapshot read at `epoch`, unless an invalidation happened since.
    pub fn insert(&self, hash: String, snapshot: Arc<KeySnapshot>, epoch: u64, now_ms: i64) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.write().expect("cache lock");
        // Checked under the write lock: invalidate() bumps the epoch while holding it.
        if self.epoch.load(Ordering::Acquire) != epoch {
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
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, e| e.snapshot.key_id != key_id);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write().expect("cache lock");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Switches caching on or off (off while cross-replica invalidations cannot be received).
    pub fn set_enabled(&self, enabled: bool) {
        if !enabled {
            self.clear();
        }
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
            grace_ends_at: None,
            previous_secret: false,
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
    fn disabled_cache_stores_nothing() {
        let cache = KeyCache::new(true, 60_000, 10);
        cache.insert("h1".into(), snap("k1"), cache.epoch(), 0);
        cache.set_enabled(false);
        assert!(cache.get("h1", 0).is_none());
        cache.insert("h2".into(), snap("k1"), cache.epoch(), 0);
        assert!(cache.is_empty());
    }
}

//! What a node read from the database, kept until it changes or grows old.
//!
//! An entry holds the record as one `Arc` and the row's revision. A fresh
//! entry (younger than the time-to-live, not marked stale) is served without
//! a query. A stale or old entry is read again; when the row's revision is
//! still the same, the very same `Arc` is kept, so caches keyed by record
//! identity (the token keys) stay warm across refreshes.
//!
//! A notification marks an entry stale. A read that was under way while a
//! notification arrived may carry the old row: the cache's epoch tells, and
//! such a row is stored stale, to be read again next time.
//!
//! Keys the database does not know are remembered too, for the same
//! time-to-live, so a flood of requests naming made-up keys does not become a
//! flood of queries. Those keys come from callers, so they live in a map with
//! a hash callers cannot aim at, apart from the records; a notification for
//! the key (a row created elsewhere) forgets them at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

/// The monotonic clock of the cache's time-to-live.
///
/// The crate's rule is that library code never reads the clock; this is the
/// one exception, and it decides nothing about a request: it only bounds how
/// long a record read from the database is served before it is read again.
#[expect(clippy::disallowed_methods, reason = "cache housekeeping, not validation: see above")]
fn monotonic_now() -> Instant {
    Instant::now()
}

#[derive(Debug)]
struct Entry<V> {
    value: Arc<V>,
    revision: i64,
    /// When the row was read; `None` once another node said it changed.
    read_at: Option<Instant>,
}

/// Records by key, with their revisions.
#[derive(Debug)]
pub(crate) struct Cache<V> {
    entries: RwLock<FxHashMap<Box<str>, Entry<V>>>,
    /// Keys found absent, and when.
    absent: RwLock<HashMap<Box<str>, Instant>>,
    epoch: AtomicU64,
    ttl: Duration,
    capacity: usize,
}

/// The longest key whose absence is remembered, in bytes.
const MAX_ABSENT_KEY: usize = 256;

impl<V> Cache<V> {
    /// An empty cache whose entries live `ttl` at most; `capacity` entries.
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Cache {
            entries: RwLock::default(),
            absent: RwLock::default(),
            epoch: AtomicU64::new(0),
            ttl,
            capacity,
        }
    }

    /// The record under `key`, when it is fresh.
    pub(crate) fn fresh(&self, key: &str) -> Option<Arc<V>> {
        let entries = crate::sync::read(&self.entries);
        let entry = entries.get(key)?;
        let read_at = entry.read_at?;
        (monotonic_now().saturating_duration_since(read_at) < self.ttl).then(|| entry.value.clone())
    }

    /// The epoch to take before a read and hand to [`Cache::settle`].
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The cached record under `key` if it has this revision.
    pub(crate) fn same(&self, key: &str, revision: i64) -> Option<Arc<V>> {
        let entries = crate::sync::read(&self.entries);
        entries.get(key).filter(|e| e.revision == revision).map(|e| e.value.clone())
    }

    /// Remember a row read at `epoch`: the cached `Arc` when its revision is
    /// unchanged, else `value`. The entry is fresh only when no change was
    /// announced since `epoch`.
    pub(crate) fn settle(&self, key: &str, revision: i64, epoch: u64, value: Arc<V>) -> Arc<V> {
        crate::sync::write(&self.absent).remove(key);
        let mut entries = crate::sync::write(&self.entries);
        let quiet = self.epoch.load(Ordering::Acquire) == epoch;
        let read_at = quiet.then(monotonic_now);
        if let Some(entry) = entries.get_mut(key) {
            // Revisions only grow: a slower read of an older row never
            // replaces a newer one.
            if revision > entry.revision {
                entry.value = value;
                entry.revision = revision;
            } else if revision < entry.revision {
                return entry.value.clone();
            }
            entry.read_at = read_at;
            return entry.value.clone();
        }
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key.into(), Entry { value: value.clone(), revision, read_at });
        value
    }

    /// Forget `key`: the row is gone.
    pub(crate) fn remove(&self, key: &str) {
        self.bump();
        crate::sync::write(&self.entries).remove(key);
    }

    /// Whether `key` was found absent within the time-to-live.
    pub(crate) fn known_absent(&self, key: &str) -> bool {
        let absent = crate::sync::read(&self.absent);
        absent.get(key).is_some_and(|at| monotonic_now().saturating_duration_since(*at) < self.ttl)
    }

    /// A read at `epoch` found no row for `key`: forget any record, and
    /// remember the absence unless a change was announced since.
    pub(crate) fn settle_absent(&self, key: &str, epoch: u64) {
        crate::sync::write(&self.entries).remove(key);
        // A caller chooses the keys it asks for: long ones are not kept, so
        // the map's memory stays bounded by its capacity times this.
        if self.epoch.load(Ordering::Acquire) != epoch || key.len() > MAX_ABSENT_KEY {
            return;
        }
        let mut absent = crate::sync::write(&self.absent);
        if absent.len() >= self.capacity {
            absent.clear();
        }
        absent.insert(key.into(), monotonic_now());
    }

    /// Another node changed `key`: read it again before serving it.
    pub(crate) fn mark_stale(&self, key: &str) {
        self.bump();
        crate::sync::write(&self.absent).remove(key);
        let mut entries = crate::sync::write(&self.entries);
        if let Some(entry) = entries.get_mut(key) {
            entry.read_at = None;
        }
    }

    /// Changes may have been missed: read everything again before serving it.
    pub(crate) fn mark_all_stale(&self) {
        self.bump();
        crate::sync::write(&self.absent).clear();
        let mut entries = crate::sync::write(&self.entries);
        for entry in entries.values_mut() {
            entry.read_at = None;
        }
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Cache<String> {
        Cache::new(Duration::from_secs(60), 10)
    }

    #[test]
    fn an_unchanged_revision_keeps_the_same_arc() {
        let cache = cache();
        let first = cache.settle("k", 1, cache.epoch(), Arc::new("a".to_owned()));
        cache.mark_stale("k");
        assert!(cache.fresh("k").is_none());
        let again = cache.settle("k", 1, cache.epoch(), Arc::new("a".to_owned()));
        assert!(Arc::ptr_eq(&first, &again));
        assert!(cache.fresh("k").is_some_and(|v| Arc::ptr_eq(&v, &first)));
    }

    #[test]
    fn a_new_revision_replaces_the_record() {
        let cache = cache();
        let first = cache.settle("k", 1, cache.epoch(), Arc::new("a".to_owned()));
        let second = cache.settle("k", 2, cache.epoch(), Arc::new("b".to_owned()));
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(cache.fresh("k").as_deref().map(String::as_str), Some("b"));
    }

    #[test]
    fn a_read_overtaken_by_a_notification_is_stored_stale() {
        let cache = cache();
        let epoch = cache.epoch();
        cache.mark_stale("k");
        cache.settle("k", 1, epoch, Arc::new("old".to_owned()));
        assert!(cache.fresh("k").is_none());
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache: Cache<String> = Cache::new(Duration::ZERO, 10);
        cache.settle("k", 1, cache.epoch(), Arc::new("a".to_owned()));
        assert!(cache.fresh("k").is_none());
    }

    #[test]
    fn absent_keys_are_remembered_until_a_change_or_the_ttl() {
        let cache = cache();
        cache.settle_absent("ghost", cache.epoch());
        assert!(cache.known_absent("ghost"));
        cache.mark_stale("ghost");
        assert!(!cache.known_absent("ghost"), "a notification forgets it");

        let epoch = cache.epoch();
        cache.mark_stale("other");
        cache.settle_absent("ghost", epoch);
        assert!(!cache.known_absent("ghost"), "a read overtaken by a change is not kept");

        cache.settle_absent("ghost", cache.epoch());
        cache.settle("ghost", 1, cache.epoch(), Arc::new("now here".to_owned()));
        assert!(!cache.known_absent("ghost"), "a row read later replaces the absence");

        let expired: Cache<String> = Cache::new(Duration::ZERO, 10);
        expired.settle_absent("ghost", expired.epoch());
        assert!(!expired.known_absent("ghost"));
    }

    #[test]
    fn capacity_bounds_the_entries() {
        let cache: Cache<String> = Cache::new(Duration::from_secs(60), 2);
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.settle(key, i as i64, cache.epoch(), Arc::new(key.to_owned()));
        }
        assert!(cache.fresh("a").is_none());
        assert!(cache.fresh("c").is_some());
    }
}

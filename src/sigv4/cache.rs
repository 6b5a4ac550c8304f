//! Derived signing keys, cached per (access key, secret version, date).
//!
//! A signing key depends on the secret, the date, the region and the service.
//! A verifier has one region and service, so within it a key is named by the
//! access key, the secret's version and the date. Each access key keeps a
//! few slots (today and yesterday, current and previous secret); the whole
//! cache holds a bounded number of access keys and forgets them all when it
//! is full, which keeps it simple and its cost predictable.
//!
//! Only keys of apps the store knows are ever put, so the map's fast,
//! unkeyed hash cannot be flooded with chosen collisions.

use std::sync::RwLock;

use rustc_hash::FxHashMap;

use super::SigningKey;

const SLOTS: usize = 4;

#[derive(Debug, Default)]
struct Entry {
    slots: [Option<(u64, u32, SigningKey)>; SLOTS],
    next: usize,
}

#[derive(Debug)]
pub(crate) struct KeyCache {
    entries: RwLock<FxHashMap<Box<str>, Entry>>,
    capacity: usize,
}

impl KeyCache {
    pub(crate) fn new(capacity: usize) -> Self {
        KeyCache { entries: RwLock::new(FxHashMap::default()), capacity }
    }

    /// `use_key` applied to the cached key, if there is one. Takes only a
    /// read lock, never allocates and never copies the key.
    pub(crate) fn with_key<T>(
        &self,
        access_key: &str,
        version: u64,
        date: u32,
        use_key: impl FnOnce(&SigningKey) -> T,
    ) -> Option<T> {
        let entries = crate::sync::read(&self.entries);
        let entry = entries.get(access_key)?;
        let slot = entry.slots.iter().flatten().find(|(v, d, _)| *v == version && *d == date)?;
        Some(use_key(&slot.2))
    }

    /// Remember a key. Slots of secret versions other than `keep` are dropped
    /// first, so a rotation clears what the old secret derived.
    pub(crate) fn put(
        &self,
        access_key: &str,
        keep: [Option<u64>; 2],
        slot: (u64, u32),
        key: SigningKey,
    ) {
        if self.capacity == 0 {
            return;
        }
        let (version, date) = slot;
        let mut entries = crate::sync::write(&self.entries);
        if entries.len() >= self.capacity && !entries.contains_key(access_key) {
            entries.clear();
        }
        let entry = entries.entry(access_key.into()).or_default();
        for slot in &mut entry.slots {
            if slot.as_ref().is_some_and(|(v, _, _)| !keep.contains(&Some(*v))) {
                *slot = None;
            }
        }
        let at = entry.slots.iter().position(Option::is_none).unwrap_or(entry.next);
        entry.slots[at] = Some((version, date, key));
        entry.next = (at + 1) % SLOTS;
    }

    /// Forget every key derived for `access_key`.
    pub(crate) fn forget(&self, access_key: &str) {
        let mut entries = crate::sync::write(&self.entries);
        entries.remove(access_key);
    }

    pub(crate) fn clear(&self) {
        crate::sync::write(&self.entries).clear();
    }
}

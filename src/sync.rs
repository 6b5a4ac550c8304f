//! Locks that outlive a panic.
//!
//! Every lock in the crate guards a cache or an in-memory store, and each
//! holder makes a short update of map entries or slots. A panic while one is
//! held would be a bug; what it leaves behind is at worst an entry missing,
//! which a cache derives again and a store reports as absent. So a poisoned
//! lock is taken as it is, and one bug does not turn every later request
//! into a panic.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Read access to `lock`, poisoned or not.
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write access to `lock`, poisoned or not.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `mutex` locked, poisoned or not.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

//! Where apps and their secrets live, behind a trait.
//!
//! A store may be a map in memory ([`MemoryAppStore`]) or a database shared
//! by many servers, so its methods are async and `Send`. The verifier asks it
//! for one thing: the record of the app behind an access key.

use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock, RwLock};

use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::keys::{AccessKey, AppId, SecretKey};
use crate::permissions::ResourcePermissions;
use crate::time::Timestamp;

/// A store failure: the request could not be decided (not "denied").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wrap whatever the backend reported.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError(source.into())
    }
}

/// A secret and its version: a fingerprint of the secret itself.
///
/// Caches of derived keys are keyed by the version. Because the version is
/// derived from the secret, a cache can never serve a key derived from
/// another secret, even when an app is deleted and created again. The
/// fingerprint is keyed with a random key drawn once per process, so a
/// version seen in a log cannot be used to test guesses of the secret; it
/// means something only within the process that computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedSecret {
    key: SecretKey,
    version: u64,
}

/// The key of this process's secret fingerprints.
fn fingerprint_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // No system randomness: std's per-process hash keys are the next best.
            let state = std::collections::hash_map::RandomState::new();
            for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
                chunk.copy_from_slice(&state.hash_one(i).to_be_bytes());
            }
        }
        key
    })
}

impl VersionedSecret {
    /// The secret with its fingerprint.
    pub fn new(key: SecretKey) -> Self {
        let mac = crate::sigv4::hmac_sha256(fingerprint_key(), key.expose_secret().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        VersionedSecret { key, version: u64::from_be_bytes(first) }
    }

    /// The secret.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    /// Its version: a fingerprint, keyed for this process, that reveals
    /// nothing usable of the secret.
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// The secret an app had before its last rotation, and until when it still counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    /// The old secret.
    pub secret: VersionedSecret,
    /// The end of the grace window (exclusive).
    pub valid_until: Timestamp,
}

/// What the store knows of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppRecord {
    /// The app's access key (for Para apps, its app id).
    pub access_key: AccessKey,
    /// The current secret.
    pub secret: VersionedSecret,
    /// The previous secret, during a grace window after a rotation.
    pub previous: Option<PreviousSecret>,
    /// `false`: the app is switched off and every request is refused.
    pub active: bool,
    /// `true`: only reads (`GET`, `HEAD`, `OPTIONS`) are allowed.
    pub read_only: bool,
    /// How long a user token is valid, in seconds (a week).
    pub token_validity_secs: u32,
    /// How often clients should refresh a user token, in seconds (an hour).
    pub refresh_interval_secs: u32,
    /// Issuing a token replaces the user's token secret, so earlier tokens die (Para's default).
    pub one_session_per_user: bool,
    /// The key that signs passwordless sign-in tokens, if the app uses them.
    pub passwordless_key: Option<SecretKey>,
    /// Link a new identity to an existing user with the same email (trusts the provider's email).
    pub link_by_email: bool,
    /// Let users who signed up with a password sign in before verifying their email.
    pub allow_unverified_emails: bool,
    /// What users and guests may do.
    pub permissions: Arc<ResourcePermissions>,
}

/// The id of Para's root app, which refuses users and guests.
pub const ROOT_APP_ID: &str = "app:para";

/// A user token's default validity: a week.
pub const DEFAULT_TOKEN_VALIDITY_SECS: u32 = 7 * 24 * 3600;
/// A user token's default refresh interval: an hour.
pub const DEFAULT_REFRESH_INTERVAL_SECS: u32 = 3600;

impl AppRecord {
    /// An active, writable app with this secret.
    pub fn new(access_key: AccessKey, secret: SecretKey) -> Self {
        AppRecord {
            access_key,
            secret: VersionedSecret::new(secret),
            previous: None,
            active: true,
            read_only: false,
            token_validity_secs: DEFAULT_TOKEN_VALIDITY_SECS,
            refresh_interval_secs: DEFAULT_REFRESH_INTERVAL_SECS,
            one_session_per_user: true,
            passwordless_key: None,
            link_by_email: false,
            allow_unverified_emails: false,
            permissions: Arc::default(),
        }
    }

    /// The same record with these resource permissions.
    pub fn with_permissions(mut self, permissions: ResourcePermissions) -> Self {
        self.permissions = Arc::new(permissions);
        self
    }

    /// Whether this is Para's root app (`app:para`).
    pub fn is_root(&self) -> bool {
        self.access_key.as_str() == ROOT_APP_ID
    }

    /// The app id, when the access key has Para's form `app:<id>`.
    pub fn app_id(&self) -> Option<AppId> {
        self.access_key.app_id()
    }

    /// The same record with another token validity and refresh interval, in seconds.
    pub fn with_token_lifetimes(mut self, validity_secs: u32, refresh_interval_secs: u32) -> Self {
        self.token_validity_secs = validity_secs;
        self.refresh_interval_secs = refresh_interval_secs;
        self
    }

    /// The same record, with one session per user or not.
    pub fn with_one_session_per_user(mut self, on: bool) -> Self {
        self.one_session_per_user = on;
        self
    }

    /// The same record with a passwordless sign-in key.
    pub fn with_passwordless_key(mut self, key: SecretKey) -> Self {
        self.passwordless_key = Some(key);
        self
    }

    /// The same record, linking identities by email or not.
    pub fn with_link_by_email(mut self, on: bool) -> Self {
        self.link_by_email = on;
        self
    }

    /// The same record, allowing unverified emails or not.
    pub fn with_unverified_emails(mut self, on: bool) -> Self {
        self.allow_unverified_emails = on;
        self
    }

    /// The same record, active or not.
    pub fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// The same record, read-only or not.
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The previous secret if its grace window is still open at `now`.
    pub fn previous_at(&self, now: Timestamp) -> Option<&VersionedSecret> {
        self.previous.as_ref().filter(|p| now < p.valid_until).map(|p| &p.secret)
    }

    /// The record after a rotation to `secret` at `now`: the old secret stays
    /// valid for `grace_secs` seconds (none when `0`).
    pub fn rotated(&self, secret: SecretKey, now: Timestamp, grace_secs: u32) -> Self {
        let previous = (grace_secs > 0).then(|| PreviousSecret {
            secret: self.secret.clone(),
            valid_until: now.add_secs(i64::from(grace_secs)),
        });
        AppRecord { secret: VersionedSecret::new(secret), previous, ..self.clone() }
    }
}

type Found = Result<Option<Arc<AppRecord>>, StoreError>;

/// Apps and their secrets.
pub trait AppStore: Send + Sync {
    /// The app whose access key is `access_key`, or `None`.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails; the request is then refused
    /// as undecidable, never allowed.
    fn app(&self, access_key: &str) -> impl Future<Output = Found> + Send;

    /// Replace the app's record by `change(current)`, atomically: two writers
    /// never both win (a database does it in a transaction). `None` when
    /// there is no such app.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails.
    fn update<F>(&self, access_key: &str, change: F) -> impl Future<Output = Found> + Send
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send;
}

impl<S: AppStore + ?Sized> AppStore for Arc<S> {
    fn app(&self, access_key: &str) -> impl Future<Output = Found> + Send {
        (**self).app(access_key)
    }

    fn update<F>(&self, access_key: &str, change: F) -> impl Future<Output = Found> + Send
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        (**self).update(access_key, change)
    }
}

/// Apps kept in memory: the default store, for one process.
///
/// Its map uses a fast unkeyed hash: only the operator adds apps, so callers
/// can look keys up but cannot fill it with chosen collisions.
#[derive(Debug, Default)]
pub struct MemoryAppStore {
    apps: RwLock<FxHashMap<Box<str>, Arc<AppRecord>>>,
}

impl MemoryAppStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace an app.
    pub fn insert(&self, record: AppRecord) {
        let key = record.access_key.as_str().into();
        crate::sync::write(&self.apps).insert(key, Arc::new(record));
    }

    /// Remove an app.
    pub fn remove(&self, access_key: &str) -> Option<Arc<AppRecord>> {
        crate::sync::write(&self.apps).remove(access_key)
    }

    /// The app whose access key is `access_key`.
    pub fn get(&self, access_key: &str) -> Option<Arc<AppRecord>> {
        crate::sync::read(&self.apps).get(access_key).cloned()
    }

    /// Replace an app's secret, keeping the old one for `grace_secs` seconds.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] when there is no such app.
    pub fn rotate(
        &self,
        access_key: &str,
        secret: SecretKey,
        now: Timestamp,
        grace_secs: u32,
    ) -> Result<Arc<AppRecord>, Error> {
        let mut apps = crate::sync::write(&self.apps);
        let record = apps.get_mut(access_key).ok_or(Error::UnknownKey)?;
        *record = Arc::new(record.rotated(secret, now, grace_secs));
        Ok(record.clone())
    }
}

impl AppStore for MemoryAppStore {
    fn app(&self, access_key: &str) -> impl Future<Output = Found> + Send {
        std::future::ready(Ok(self.get(access_key)))
    }

    fn update<F>(&self, access_key: &str, change: F) -> impl Future<Output = Found> + Send
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        let mut apps = crate::sync::write(&self.apps);
        let updated = apps.get_mut(access_key).map(|record| {
            *record = Arc::new(change(record));
            record.clone()
        });
        std::future::ready(Ok(updated))
    }
}

//! Keyed HMAC states for HS256 tokens, kept per app secret and user record.
//!
//! Setting up HMAC with a user token's key (the app secret and the user's
//! token secret, about 100 bytes) costs three SHA-256 blocks before the token
//! is even read. The state after that is cached: per app, for the version
//! (fingerprint) of its current secret; per user, for the very record the
//! store returned. A record holds its token secret, and a new secret means a
//! new record, so a cached state can never outlive the secret it came from.
//! The cache holds a `Weak` of each record, which keeps its address from
//! being reused while the entry exists.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use hmac::{Hmac, KeyInit};
use sha2::Sha256;

use crate::keys::AppId;
use crate::store::VersionedSecret;
use crate::users::UserRecord;

type Keyed = Hmac<Sha256>;

#[derive(Debug, Default)]
struct AppKeys {
    version: u64,
    app: Option<Keyed>,
    users: HashMap<Box<str>, (Weak<UserRecord>, Keyed)>,
}

#[derive(Debug)]
pub(crate) struct TokenKeys {
    apps: RwLock<HashMap<AppId, AppKeys>>,
    capacity: usize,
}

impl Default for TokenKeys {
    fn default() -> Self {
        TokenKeys { apps: RwLock::default(), capacity: 100_000 }
    }
}

impl TokenKeys {
    /// The keyed state for an HS256 token of `user` (a super token without),
    /// or `None` when the key is shorter than HS256 allows.
    pub(crate) fn keyed(
        &self,
        app: &AppId,
        secret: &VersionedSecret,
        user: Option<&Arc<UserRecord>>,
    ) -> Option<Keyed> {
        if let Some(hit) = self.cached(app, secret.version(), user) {
            return Some(hit);
        }
        let key = super::token_key(secret.key(), user.map(|u| &**u));
        if key.len() < super::Algorithm::HS256.mac_len() {
            return None;
        }
        let keyed = Keyed::new_from_slice(&key).ok()?;
        self.remember(app, secret.version(), user, keyed.clone());
        Some(keyed)
    }

    fn cached(&self, app: &AppId, version: u64, user: Option<&Arc<UserRecord>>) -> Option<Keyed> {
        let apps = crate::sync::read(&self.apps);
        let keys = apps.get(app).filter(|k| k.version == version)?;
        match user {
            None => keys.app.clone(),
            Some(user) => {
                let (record, keyed) = keys.users.get(user.id.as_str())?;
                std::ptr::eq(record.as_ptr(), Arc::as_ptr(user)).then(|| keyed.clone())
            }
        }
    }

    fn remember(&self, app: &AppId, version: u64, user: Option<&Arc<UserRecord>>, keyed: Keyed) {
        let mut apps = crate::sync::write(&self.apps);
        let keys = apps.entry(app.clone()).or_default();
        if keys.version != version {
            *keys = AppKeys { version, ..AppKeys::default() };
        }
        match user {
            None => keys.app = Some(keyed),
            Some(user) => {
                if keys.users.len() >= self.capacity {
                    keys.users.clear();
                }
                keys.users.insert(user.id.as_str().into(), (Arc::downgrade(user), keyed));
            }
        }
    }
}

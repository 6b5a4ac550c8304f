//! Where users and their token secrets live, behind a trait.
//!
//! Users belong to an app. Each carries a token secret: its tokens are signed
//! with the app secret followed by it, so replacing it revokes every token the
//! user holds.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use crate::error::Error;
use crate::keys::{AppId, SecretKey, TOKEN_SECRET_BYTES};
use crate::store::StoreError;

/// What the store knows of a user.
#[derive(Clone)]
#[non_exhaustive]
pub struct UserRecord {
    /// The user's id, unique within its app.
    pub id: String,
    /// The app the user belongs to.
    pub app_id: AppId,
    /// The user's own token secret (never serialised, never printed).
    pub token_secret: SecretKey,
    /// Identities that sign in as this user, with their provider prefix
    /// (`fb:123`, `gh:42`) or as an email for passwords.
    pub identifiers: Vec<String>,
    /// Email address, lower case.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// Groups (`users`, `admins`, `mods`).
    pub groups: Vec<String>,
    /// `false`: the user cannot sign in or use its tokens.
    pub active: bool,
    /// A bcrypt hash for password sign-in.
    pub password_hash: Option<SecretKey>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("identifiers", &self.identifiers)
            .field("email", &self.email)
            .field("groups", &self.groups)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// A new active user with a fresh token secret, in the group `users`.
    ///
    /// # Errors
    /// [`Error::Config`] when the operating system gives no randomness.
    pub fn new(app_id: AppId, id: impl Into<String>) -> Result<Self, Error> {
        Ok(UserRecord {
            id: id.into(),
            app_id,
            token_secret: SecretKey::random(TOKEN_SECRET_BYTES)?,
            identifiers: Vec::new(),
            email: None,
            name: None,
            picture: None,
            groups: vec!["users".to_owned()],
            active: true,
            password_hash: None,
        })
    }

    /// The same user with this identifier added.
    pub fn with_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifiers.push(identifier.into());
        self
    }

    /// The same user with this email (stored lower case).
    pub fn with_email(mut self, email: &str) -> Self {
        self.email = Some(email.to_lowercase());
        self
    }

    /// The same user with this token secret.
    pub fn with_token_secret(mut self, secret: SecretKey) -> Self {
        self.token_secret = secret;
        self
    }

    /// The same user, active or not.
    pub fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// Whether the user is in the group `admins`.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == "admins")
    }
}

type Found = Result<Option<Arc<UserRecord>>, StoreError>;

/// Users and their token secrets.
pub trait UserStore: Send + Sync {
    /// The user `id` of `app`.
    fn user(&self, app: &AppId, id: &str) -> impl Future<Output = Found> + Send;

    /// The user of `app` that has `identifier` among its identifiers.
    fn user_by_identifier(
        &self,
        app: &AppId,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send;

    /// The user of `app` with this email (compared in lower case).
    fn user_by_email(&self, app: &AppId, email: &str) -> impl Future<Output = Found> + Send;

    /// Add a user, or replace the one with the same app and id. An existing
    /// user keeps its token secret, whatever `user` holds: only
    /// [`UserStore::replace_token_secret`] changes it, so a record read
    /// before a revocation and written back after cannot undo it.
    fn put(
        &self,
        user: UserRecord,
    ) -> impl Future<Output = Result<Arc<UserRecord>, StoreError>> + Send;

    /// Add a new user unless another user of its app already has one of its
    /// identifiers (or, with `unique_email`, its email): then `None`, and
    /// nothing is written. Atomic: of two sign-ups for the same identity at
    /// once, on any servers, one adds the user and the other finds it.
    fn add(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> impl Future<Output = Result<Option<Arc<UserRecord>>, StoreError>> + Send;

    /// Add `identifier` to user `id` of `app`, changing nothing else, at
    /// once; `None` when there is no such user.
    fn add_identifier(
        &self,
        app: &AppId,
        id: &str,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send;

    /// Replace the user's token secret (revoking its tokens); `None` when there is no such user.
    fn replace_token_secret(
        &self,
        app: &AppId,
        id: &str,
        secret: SecretKey,
    ) -> impl Future<Output = Found> + Send;
}

#[derive(Debug, Default)]
struct AppUsers {
    by_id: HashMap<String, Arc<UserRecord>>,
    by_identifier: HashMap<String, String>,
    by_email: HashMap<String, String>,
}

impl AppUsers {
    fn index(&mut self, user: &UserRecord) {
        for identifier in &user.identifiers {
            self.by_identifier.insert(identifier.clone(), user.id.clone());
        }
        if let Some(email) = &user.email {
            self.by_email.insert(email.to_lowercase(), user.id.clone());
        }
    }

    /// Index `user` and keep it.
    fn add(&mut self, user: UserRecord) -> Arc<UserRecord> {
        self.index(&user);
        let user = Arc::new(user);
        self.by_id.insert(user.id.clone(), user.clone());
        user
    }

    /// Take user `id` out, indexes and all.
    fn take(&mut self, id: &str) -> Option<Arc<UserRecord>> {
        let user = self.by_id.remove(id)?;
        self.unindex(&user);
        Some(user)
    }

    fn unindex(&mut self, user: &UserRecord) {
        for identifier in &user.identifiers {
            self.by_identifier.remove(identifier);
        }
        if let Some(email) = &user.email {
            self.by_email.remove(&email.to_lowercase());
        }
    }
}

/// Users kept in memory: the default store, for one process.
#[derive(Debug, Default)]
pub struct MemoryUserStore {
    apps: RwLock<HashMap<AppId, AppUsers>>,
}

impl MemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace a user, at once, token secret included (for setting
    /// a store up; [`UserStore::put`] keeps an existing user's secret).
    pub fn insert(&self, user: UserRecord) -> Arc<UserRecord> {
        let mut apps = crate::sync::write(&self.apps);
        let users = apps.entry(user.app_id.clone()).or_default();
        users.take(&user.id);
        users.add(user)
    }

    /// The user `id` of `app`, at once.
    pub fn get(&self, app: &AppId, id: &str) -> Option<Arc<UserRecord>> {
        crate::sync::read(&self.apps).get(app)?.by_id.get(id).cloned()
    }

    fn find(&self, app: &AppId, key: &str, email: bool) -> Option<Arc<UserRecord>> {
        let apps = crate::sync::read(&self.apps);
        let users = apps.get(app)?;
        let index = if email { &users.by_email } else { &users.by_identifier };
        users.by_id.get(index.get(key)?).cloned()
    }
}

impl UserStore for MemoryUserStore {
    fn user(&self, app: &AppId, id: &str) -> impl Future<Output = Found> + Send {
        std::future::ready(Ok(self.get(app, id)))
    }

    fn user_by_identifier(
        &self,
        app: &AppId,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send {
        std::future::ready(Ok(self.find(app, identifier, false)))
    }

    fn user_by_email(&self, app: &AppId, email: &str) -> impl Future<Output = Found> + Send {
        std::future::ready(Ok(self.find(app, &email.to_lowercase(), true)))
    }

    fn put(
        &self,
        mut user: UserRecord,
    ) -> impl Future<Output = Result<Arc<UserRecord>, StoreError>> + Send {
        let mut apps = crate::sync::write(&self.apps);
        let users = apps.entry(user.app_id.clone()).or_default();
        if let Some(old) = users.take(&user.id) {
            user.token_secret = old.token_secret.clone();
        }
        std::future::ready(Ok(users.add(user)))
    }

    fn add(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> impl Future<Output = Result<Option<Arc<UserRecord>>, StoreError>> + Send {
        let mut apps = crate::sync::write(&self.apps);
        let users = apps.entry(user.app_id.clone()).or_default();
        let email_taken = unique_email
            && user.email.as_ref().is_some_and(|e| users.by_email.contains_key(&e.to_lowercase()));
        let taken = email_taken
            || users.by_id.contains_key(&user.id)
            || user.identifiers.iter().any(|i| users.by_identifier.contains_key(i));
        std::future::ready(Ok((!taken).then(|| users.add(user))))
    }

    fn add_identifier(
        &self,
        app: &AppId,
        id: &str,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send {
        let mut apps = crate::sync::write(&self.apps);
        let added = apps.get_mut(app).and_then(|users| {
            let mut user = (*users.take(id)?).clone();
            if !user.identifiers.iter().any(|i| i == identifier) {
                user.identifiers.push(identifier.to_owned());
            }
            Some(users.add(user))
        });
        std::future::ready(Ok(added))
    }

    fn replace_token_secret(
        &self,
        app: &AppId,
        id: &str,
        secret: SecretKey,
    ) -> impl Future<Output = Found> + Send {
        let mut apps = crate::sync::write(&self.apps);
        let replaced = apps.get_mut(app).and_then(|users| {
            let user = users.by_id.get_mut(id)?;
            *user = Arc::new(UserRecord { token_secret: secret, ..(**user).clone() });
            Some(user.clone())
        });
        std::future::ready(Ok(replaced))
    }
}

impl<S: UserStore + ?Sized> UserStore for Arc<S> {
    fn user(&self, app: &AppId, id: &str) -> impl Future<Output = Found> + Send {
        (**self).user(app, id)
    }
    fn user_by_identifier(
        &self,
        app: &AppId,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send {
        (**self).user_by_identifier(app, identifier)
    }
    fn user_by_email(&self, app: &AppId, email: &str) -> impl Future<Output = Found> + Send {
        (**self).user_by_email(app, email)
    }
    fn put(
        &self,
        user: UserRecord,
    ) -> impl Future<Output = Result<Arc<UserRecord>, StoreError>> + Send {
        (**self).put(user)
    }
    fn add(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> impl Future<Output = Result<Option<Arc<UserRecord>>, StoreError>> + Send {
        (**self).add(user, unique_email)
    }
    fn add_identifier(
        &self,
        app: &AppId,
        id: &str,
        identifier: &str,
    ) -> impl Future<Output = Found> + Send {
        (**self).add_identifier(app, id, identifier)
    }
    fn replace_token_secret(
        &self,
        app: &AppId,
        id: &str,
        secret: SecretKey,
    ) -> impl Future<Output = Found> + Send {
        (**self).replace_token_secret(app, id, secret)
    }
}

//! [`AppStore`] on PostgreSQL: table `para_apps`, one row per app.

use std::sync::Arc;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PgError, Shared};
use crate::keys::{AccessKey, SecretKey};
use crate::permissions::ResourcePermissions;
use crate::store::{AppRecord, AppStore, PreviousSecret, StoreError, VersionedSecret};
use crate::time::Timestamp;

const TABLE: &str = "para_apps";

const SELECT: &str = "SELECT revision, access_key, secret, previous_secret, \
    previous_valid_until, active, read_only, token_validity_secs, refresh_interval_secs, \
    one_session_per_user, passwordless_key, link_by_email, allow_unverified_emails, \
    permissions FROM para_apps WHERE access_key = $1";

const UPSERT: &str = "INSERT INTO para_apps (access_key, secret, previous_secret, \
    previous_valid_until, active, read_only, token_validity_secs, refresh_interval_secs, \
    one_session_per_user, passwordless_key, link_by_email, allow_unverified_emails, \
    permissions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
    ON CONFLICT (access_key) DO UPDATE SET secret = EXCLUDED.secret, \
    previous_secret = EXCLUDED.previous_secret, \
    previous_valid_until = EXCLUDED.previous_valid_until, active = EXCLUDED.active, \
    read_only = EXCLUDED.read_only, token_validity_secs = EXCLUDED.token_validity_secs, \
    refresh_interval_secs = EXCLUDED.refresh_interval_secs, \
    one_session_per_user = EXCLUDED.one_session_per_user, \
    passwordless_key = EXCLUDED.passwordless_key, link_by_email = EXCLUDED.link_by_email, \
    allow_unverified_emails = EXCLUDED.allow_unverified_emails, \
    permissions = EXCLUDED.permissions, revision = nextval('para_revision') \
    RETURNING revision";

const UPDATE: &str = "UPDATE para_apps SET access_key = $1, secret = $2, previous_secret = $3, \
    previous_valid_until = $4, active = $5, read_only = $6, token_validity_secs = $7, \
    refresh_interval_secs = $8, one_session_per_user = $9, passwordless_key = $10, \
    link_by_email = $11, allow_unverified_emails = $12, permissions = $13, \
    revision = nextval('para_revision') WHERE access_key = $14 RETURNING revision";

const DELETE: &str = "DELETE FROM para_apps WHERE access_key = $1";

type Found = Result<Option<Arc<AppRecord>>, StoreError>;

/// Apps in PostgreSQL, cached per server. Get one from [`super::PgStore::apps`].
#[derive(Debug, Clone)]
pub struct PgAppStore {
    shared: Arc<Shared>,
}

impl PgAppStore {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        PgAppStore { shared }
    }

    /// Add an app, or replace the one with the same access key.
    ///
    /// # Errors
    /// [`PgError`] when the database fails.
    pub async fn insert(&self, record: AppRecord) -> Result<Arc<AppRecord>, PgError> {
        self.shared.within(self.upsert(record)).await
    }

    async fn upsert(&self, record: AppRecord) -> Result<Arc<AppRecord>, PgError> {
        let epoch = self.shared.apps.epoch();
        let client = self.shared.client().await?;
        let statement = client.prepare_cached(UPSERT).await?;
        let row = client.query_one(&statement, &Columns::of(&record).params()).await?;
        let revision: i64 = row.try_get(0)?;
        let key = record.access_key.as_str().to_owned();
        Ok(self.shared.apps.settle(&key, revision, epoch, Arc::new(record)))
    }

    /// Remove an app; `true` when there was one.
    ///
    /// # Errors
    /// [`PgError`] when the database fails.
    pub async fn remove(&self, access_key: &str) -> Result<bool, PgError> {
        let removed = self.shared.within(async {
            let client = self.shared.client().await?;
            Ok(client.execute(DELETE, &[&access_key]).await? > 0)
        });
        let removed = removed.await?;
        self.shared.apps.remove(access_key);
        Ok(removed)
    }

    /// Replace an app's secret, keeping the old one for `grace_secs` seconds
    /// (atomically, as [`AppStore::update`]). `None` when there is no such app.
    ///
    /// # Errors
    /// [`PgError`] when the database fails.
    pub async fn rotate(
        &self,
        access_key: &str,
        secret: SecretKey,
        now: Timestamp,
        grace_secs: u32,
    ) -> Result<Option<Arc<AppRecord>>, PgError> {
        self.shared.within(self.change(access_key, |r| r.rotated(secret, now, grace_secs))).await
    }

    async fn find(&self, access_key: &str) -> Result<Option<Arc<AppRecord>>, PgError> {
        if let Some(hit) = self.shared.apps.fresh(access_key) {
            return Ok(Some(hit));
        }
        if self.shared.apps.known_absent(access_key) {
            return Ok(None);
        }
        let epoch = self.shared.apps.epoch();
        let client = self.shared.client().await?;
        let statement = client.prepare_cached(SELECT).await?;
        let Some(row) = client.query_opt(&statement, &[&access_key]).await? else {
            self.shared.apps.settle_absent(access_key, epoch);
            return Ok(None);
        };
        Ok(Some(self.settle(access_key, &row, epoch)?))
    }

    /// The cached record when the row's revision is unchanged, else the row's.
    fn settle(&self, key: &str, row: &Row, epoch: u64) -> Result<Arc<AppRecord>, PgError> {
        let revision: i64 = row.try_get("revision")?;
        if let Some(same) = self.shared.apps.same(key, revision) {
            return Ok(self.shared.apps.settle(key, revision, epoch, same));
        }
        let record = Arc::new(record(row)?);
        Ok(self.shared.apps.settle(key, revision, epoch, record))
    }

    /// Read the row `FOR UPDATE`, apply `change`, write it back, in one transaction.
    async fn change<F>(
        &self,
        access_key: &str,
        change: F,
    ) -> Result<Option<Arc<AppRecord>>, PgError>
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        let epoch = self.shared.apps.epoch();
        let mut client = self.shared.client().await?;
        let tx = client.transaction().await?;
        let locked = format!("{SELECT} FOR UPDATE");
        let Some(row) = tx.query_opt(&locked, &[&access_key]).await? else {
            tx.rollback().await?;
            self.shared.apps.remove(access_key);
            return Ok(None);
        };

        let changed = change(&record(&row)?);
        let columns = Columns::of(&changed);
        let mut params = columns.params();
        params.push(&access_key);
        let row = tx.query_one(UPDATE, &params).await?;
        let revision: i64 = row.try_get(0)?;
        tx.commit().await?;

        let key = changed.access_key.as_str().to_owned();
        if key != access_key {
            self.shared.apps.remove(access_key);
        }
        Ok(Some(self.shared.apps.settle(&key, revision, epoch, Arc::new(changed))))
    }
}

impl AppStore for PgAppStore {
    async fn app(&self, access_key: &str) -> Found {
        // A cached record needs neither the database nor a timer (nor a runtime).
        if let Some(hit) = self.shared.apps.fresh(access_key) {
            return Ok(Some(hit));
        }
        Ok(self.shared.within(self.find(access_key)).await?)
    }

    async fn update<F>(&self, access_key: &str, change: F) -> Found
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        Ok(self.shared.within(self.change(access_key, change)).await?)
    }
}

/// A record's columns, in the order of `UPSERT` and `UPDATE`.
struct Columns<'r> {
    access_key: &'r str,
    secret: &'r str,
    previous_secret: Option<&'r str>,
    previous_valid_until: Option<i64>,
    active: bool,
    read_only: bool,
    token_validity_secs: i64,
    refresh_interval_secs: i64,
    one_session_per_user: bool,
    passwordless_key: Option<&'r str>,
    link_by_email: bool,
    allow_unverified_emails: bool,
    permissions: String,
}

impl<'r> Columns<'r> {
    fn of(record: &'r AppRecord) -> Self {
        let previous = record.previous.as_ref();
        Columns {
            access_key: record.access_key.as_str(),
            secret: record.secret.key().expose_secret(),
            previous_secret: previous.map(|p| p.secret.key().expose_secret()),
            previous_valid_until: previous.map(|p| p.valid_until.unix()),
            active: record.active,
            read_only: record.read_only,
            token_validity_secs: i64::from(record.token_validity_secs),
            refresh_interval_secs: i64::from(record.refresh_interval_secs),
            one_session_per_user: record.one_session_per_user,
            passwordless_key: record.passwordless_key.as_ref().map(SecretKey::expose_secret),
            link_by_email: record.link_by_email,
            allow_unverified_emails: record.allow_unverified_emails,
            permissions: record.permissions.to_json(),
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.access_key,
            &self.secret,
            &self.previous_secret,
            &self.previous_valid_until,
            &self.active,
            &self.read_only,
            &self.token_validity_secs,
            &self.refresh_interval_secs,
            &self.one_session_per_user,
            &self.passwordless_key,
            &self.link_by_email,
            &self.allow_unverified_emails,
            &self.permissions,
        ]
    }
}

fn corrupt(what: &'static str) -> PgError {
    PgError::Corrupt { table: TABLE, what }
}

fn secret(text: String, what: &'static str) -> Result<SecretKey, PgError> {
    SecretKey::new(text).map_err(|_| corrupt(what))
}

fn seconds(row: &Row, column: &str) -> Result<u32, PgError> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|_| corrupt("a token lifetime out of range"))
}

/// The record a row of `SELECT` holds.
fn record(row: &Row) -> Result<AppRecord, PgError> {
    let access_key = row.try_get::<_, &str>("access_key")?;
    let access_key = AccessKey::new(access_key).map_err(|_| corrupt("an invalid access key"))?;
    let mut record = AppRecord::new(access_key, secret(row.try_get("secret")?, "an empty secret")?);

    let previous: Option<String> = row.try_get("previous_secret")?;
    let until: Option<i64> = row.try_get("previous_valid_until")?;
    record.previous = match (previous, until) {
        (Some(previous), Some(until)) => Some(PreviousSecret {
            secret: VersionedSecret::new(secret(previous, "an empty previous secret")?),
            valid_until: Timestamp::from_unix(until),
        }),
        (None, None) => None,
        _ => return Err(corrupt("a previous secret without its deadline")),
    };

    record.active = row.try_get("active")?;
    record.read_only = row.try_get("read_only")?;
    record.token_validity_secs = seconds(row, "token_validity_secs")?;
    record.refresh_interval_secs = seconds(row, "refresh_interval_secs")?;
    record.one_session_per_user = row.try_get("one_session_per_user")?;
    let passwordless: Option<String> = row.try_get("passwordless_key")?;
    record.passwordless_key =
        passwordless.map(|k| secret(k, "an empty passwordless key")).transpose()?;
    record.link_by_email = row.try_get("link_by_email")?;
    record.allow_unverified_emails = row.try_get("allow_unverified_emails")?;

    let permissions = row.try_get::<_, &str>("permissions")?;
    let permissions = ResourcePermissions::from_json(permissions)
        .map_err(|_| corrupt("unreadable permissions"))?;
    record.permissions = Arc::new(permissions);
    Ok(record)
}

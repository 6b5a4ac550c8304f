//! [`UserStore`] on PostgreSQL: table `para_users`, one row per user of an app.

use std::sync::Arc;

use tokio_postgres::Row;

use super::{PgError, Shared};
use crate::keys::{AppId, SecretKey};
use crate::store::StoreError;
use crate::users::{UserRecord, UserStore};

const TABLE: &str = "para_users";

const COLUMNS: &str = "revision, app_id, id, token_secret, identifiers, email, name, picture, \
    groups, active, password_hash";

const INSERT: &str = "INSERT INTO para_users (app_id, id, token_secret, identifiers, email, \
    name, picture, groups, active, password_hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The stored token secret stays: only a replacement changes it, so a stale
/// record written back cannot undo a revocation.
const ON_CONFLICT: &str = " ON CONFLICT (app_id, id) DO UPDATE SET \
    identifiers = EXCLUDED.identifiers, email = EXCLUDED.email, name = EXCLUDED.name, \
    picture = EXCLUDED.picture, groups = EXCLUDED.groups, active = EXCLUDED.active, \
    password_hash = EXCLUDED.password_hash, revision = nextval('para_revision')";

type Found = Result<Option<Arc<UserRecord>>, StoreError>;

/// The cache key of user `id` of `app`. App ids never hold `/`, so the key
/// is unambiguous.
pub(super) fn key(app: &str, id: &str) -> String {
    let mut key = String::with_capacity(app.len() + 1 + id.len());
    key.push_str(app);
    key.push('/');
    key.push_str(id);
    key
}

/// Users in PostgreSQL, cached per server. Get one from [`super::PgStore::users`].
#[derive(Debug, Clone)]
pub struct PgUserStore {
    shared: Arc<Shared>,
}

impl PgUserStore {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        PgUserStore { shared }
    }

    async fn by_id(&self, app: &AppId, id: &str) -> Result<Option<Arc<UserRecord>>, PgError> {
        let key = key(app.as_str(), id);
        if let Some(hit) = self.shared.users.fresh(&key) {
            return Ok(Some(hit));
        }
        // A token whose `sub` the store does not know is a super token: do not
        // ask the database again for that id on every such request.
        if self.shared.users.known_absent(&key) {
            return Ok(None);
        }
        let epoch = self.shared.users.epoch();
        let sql = format!("SELECT {COLUMNS} FROM para_users WHERE app_id = $1 AND id = $2");
        let found = self.query_one_user(&sql, app.as_str(), id).await?;
        if found.is_none() {
            self.shared.users.settle_absent(&key, epoch);
        }
        Ok(found)
    }

    /// The user a query for (`$1` app, `$2` anything) finds, through the cache.
    async fn query_one_user(
        &self,
        sql: &str,
        app: &str,
        arg: &str,
    ) -> Result<Option<Arc<UserRecord>>, PgError> {
        let epoch = self.shared.users.epoch();
        let client = self.shared.client().await?;
        let statement = client.prepare_cached(sql).await?;
        let row = client.query_opt(&statement, &[&app, &arg]).await?;
        row.map(|row| self.settle(&row, epoch)).transpose()
    }

    /// The cached record when the row's revision is unchanged, else the row's.
    fn settle(&self, row: &Row, epoch: u64) -> Result<Arc<UserRecord>, PgError> {
        let revision: i64 = row.try_get("revision")?;
        let key = key(row.try_get("app_id")?, row.try_get("id")?);
        let record = match self.shared.users.same(&key, revision) {
            Some(same) => same,
            None => Arc::new(record(row)?),
        };
        Ok(self.shared.users.settle(&key, revision, epoch, record))
    }

    async fn upsert(&self, user: UserRecord) -> Result<Arc<UserRecord>, PgError> {
        let epoch = self.shared.users.epoch();
        let client = self.shared.client().await?;
        let statement =
            client.prepare_cached(&format!("{INSERT}{ON_CONFLICT} RETURNING {COLUMNS}")).await?;
        let row = client.query_one(&statement, &values(&user).as_params()).await?;
        self.settle(&row, epoch)
    }

    /// Insert `user` unless one of its identifiers (or, with `unique_email`,
    /// its email) is taken. Sign-ups for the same identifier or email wait
    /// for each other on advisory locks, held to the end of the
    /// transaction, on every server.
    async fn insert_new(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> Result<Option<Arc<UserRecord>>, PgError> {
        let epoch = self.shared.users.epoch();
        let mut client = self.shared.client().await?;
        let tx = client.transaction().await?;
        let email = user.email.as_deref().map(str::to_lowercase).filter(|_| unique_email);
        let mut locks: Vec<String> = user.identifiers.iter().map(|i| format!("id\n{i}")).collect();
        locks.extend(email.iter().map(|e| format!("email\n{e}")));
        locks.sort(); // one order, so two sign-ups never wait on each other
        for lock in locks {
            let lock = format!("para_users\n{}\n{lock}", user.app_id.as_str());
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&lock]).await?;
        }
        let taken = tx
            .query_opt(
                "SELECT 1 FROM para_users WHERE app_id = $1 \
                 AND (id = $2 OR identifiers && $3 OR ($4::text IS NOT NULL AND email = $4))",
                &[&user.app_id.as_str(), &user.id, &user.identifiers, &email],
            )
            .await?;
        if taken.is_some() {
            return Ok(None); // the transaction rolls back as it drops
        }
        let row = tx
            .query_one(&format!("{INSERT} RETURNING {COLUMNS}"), &values(&user).as_params())
            .await?;
        tx.commit().await?;
        Ok(Some(self.settle(&row, epoch)?))
    }

    /// One `UPDATE`: the identifier joins the row as it is now, whatever was
    /// read of it before.
    async fn append_identifier(
        &self,
        app: &AppId,
        id: &str,
        identifier: &str,
    ) -> Result<Option<Arc<UserRecord>>, PgError> {
        let epoch = self.shared.users.epoch();
        let client = self.shared.client().await?;
        let sql = format!(
            "UPDATE para_users SET revision = nextval('para_revision'), identifiers = \
             CASE WHEN $3 = ANY(identifiers) THEN identifiers \
             ELSE array_append(identifiers, $3) END \
             WHERE app_id = $1 AND id = $2 RETURNING {COLUMNS}"
        );
        let statement = client.prepare_cached(&sql).await?;
        let row = client.query_opt(&statement, &[&app.as_str(), &id, &identifier]).await?;
        row.map(|row| self.settle(&row, epoch)).transpose()
    }

    /// One `UPDATE ... RETURNING`: of two servers replacing at once, the
    /// later write is the secret that stays, and each gets its own record.
    async fn replace(
        &self,
        app: &AppId,
        id: &str,
        secret: SecretKey,
    ) -> Result<Option<Arc<UserRecord>>, PgError> {
        let epoch = self.shared.users.epoch();
        let client = self.shared.client().await?;
        let sql = format!(
            "UPDATE para_users SET token_secret = $3, revision = nextval('para_revision') \
             WHERE app_id = $1 AND id = $2 RETURNING {COLUMNS}"
        );
        let statement = client.prepare_cached(&sql).await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&app.as_str(), &id, &secret.expose_secret()];
        let Some(row) = client.query_opt(&statement, &params).await? else {
            self.shared.users.remove(&key(app.as_str(), id));
            return Ok(None);
        };
        Ok(Some(self.settle(&row, epoch)?))
    }
}

impl UserStore for PgUserStore {
    async fn user(&self, app: &AppId, id: &str) -> Found {
        // A cached record needs neither the database nor a timer (nor a runtime).
        if let Some(hit) = self.shared.users.fresh(&key(app.as_str(), id)) {
            return Ok(Some(hit));
        }
        Ok(self.shared.within(self.by_id(app, id)).await?)
    }

    async fn user_by_identifier(&self, app: &AppId, identifier: &str) -> Found {
        let sql = format!(
            "SELECT {COLUMNS} FROM para_users \
             WHERE app_id = $1 AND identifiers @> ARRAY[$2::text] ORDER BY id LIMIT 1"
        );
        Ok(self.shared.within(self.query_one_user(&sql, app.as_str(), identifier)).await?)
    }

    async fn user_by_email(&self, app: &AppId, email: &str) -> Found {
        let sql = format!(
            "SELECT {COLUMNS} FROM para_users WHERE app_id = $1 AND email = $2 ORDER BY id LIMIT 1"
        );
        let email = email.to_lowercase();
        Ok(self.shared.within(self.query_one_user(&sql, app.as_str(), &email)).await?)
    }

    async fn put(&self, user: UserRecord) -> Result<Arc<UserRecord>, StoreError> {
        Ok(self.shared.within(self.upsert(user)).await?)
    }

    async fn add(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> Result<Option<Arc<UserRecord>>, StoreError> {
        Ok(self.shared.within(self.insert_new(user, unique_email)).await?)
    }

    async fn add_identifier(&self, app: &AppId, id: &str, identifier: &str) -> Found {
        Ok(self.shared.within(self.append_identifier(app, id, identifier)).await?)
    }

    async fn replace_token_secret(&self, app: &AppId, id: &str, secret: SecretKey) -> Found {
        Ok(self.shared.within(self.replace(app, id, secret)).await?)
    }
}

/// A user's columns, as `INSERT` takes them.
struct Values<'u> {
    user: &'u UserRecord,
    app_id: &'u str,
    /// Emails are kept in lower case, as they are looked up.
    email: Option<String>,
    token_secret: &'u str,
    password_hash: Option<&'u str>,
}

fn values(user: &UserRecord) -> Values<'_> {
    Values {
        user,
        app_id: user.app_id.as_str(),
        email: user.email.as_deref().map(str::to_lowercase),
        token_secret: user.token_secret.expose_secret(),
        password_hash: user.password_hash.as_ref().map(SecretKey::expose_secret),
    }
}

impl Values<'_> {
    fn as_params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 10] {
        let u = self.user;
        [
            &self.app_id,
            &u.id,
            &self.token_secret,
            &u.identifiers,
            &self.email,
            &u.name,
            &u.picture,
            &u.groups,
            &u.active,
            &self.password_hash,
        ]
    }
}

fn corrupt(what: &'static str) -> PgError {
    PgError::Corrupt { table: TABLE, what }
}

/// The record a row holds.
fn record(row: &Row) -> Result<UserRecord, PgError> {
    let app_id = row.try_get::<_, &str>("app_id")?;
    let app_id = AppId::new(app_id).map_err(|_| corrupt("an invalid app id"))?;
    let token_secret = row.try_get::<_, String>("token_secret")?;
    let token_secret =
        SecretKey::new(token_secret).map_err(|_| corrupt("an empty token secret"))?;
    let password_hash: Option<String> = row.try_get("password_hash")?;
    let password_hash = password_hash
        .map(|h| SecretKey::new(h).map_err(|_| corrupt("an empty password hash")))
        .transpose()?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        app_id,
        token_secret,
        identifiers: row.try_get("identifiers")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        picture: row.try_get("picture")?,
        groups: row.try_get("groups")?,
        active: row.try_get("active")?,
        password_hash,
    })
}

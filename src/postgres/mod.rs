//! App and user stores on PostgreSQL, shared by many servers (feature `postgres`).
//!
//! [`PgStore::connect`] opens a connection pool, applies the schema the crate
//! ships (`schema.sql`, once, under an advisory lock so two servers starting
//! together do not race), and starts a listener. It hands out a
//! [`PgAppStore`] and a [`PgUserStore`] that implement the crate's store
//! traits.
//!
//! # Many servers, one truth
//!
//! - **Writes that change a secret cannot both win.** [`AppStore::update`]
//!   reads the row `FOR UPDATE` in a transaction, applies the change and
//!   writes it back: two servers rotating at once are serialised, and the
//!   second sees the first's result. Replacing a user's token secret is one
//!   `UPDATE ... RETURNING`, and the token is issued from the record it
//!   returned, so of two racing sign-ins only the later session lives.
//! - **Each server caches what it reads**: apps by access key, users by app
//!   and id. A trigger on each table announces every change with
//!   `NOTIFY para_auth`; the listener marks the entry stale and the next
//!   lookup reads the row again. A row whose revision did not change yields
//!   the same `Arc` as before, so the verifier's derived-key cache and the
//!   token key cache stay warm.
//! - **Bounded staleness.** A notification can be lost (the listener's
//!   connection drops; it then marks everything stale and reconnects). In
//!   any case no entry is served longer than [`PgConfig::cache_ttl`] after
//!   it was read. With notifications switched off, that is the only bound.
//!
//! Secrets are stored as the in-memory stores keep them: as text. Protect the
//! database (and its backups) as you would the secrets themselves.
//!
//! ```no_run
//! use std::sync::Arc;
//! use para_auth::gate::Gate;
//! use para_auth::postgres::{PgConfig, PgStore};
//!
//! # async fn run() -> Result<(), para_auth::postgres::PgError> {
//! let store = PgStore::connect("postgres://para@127.0.0.1/para", PgConfig::default()).await?;
//! let gate = Gate::new(Arc::new(store.apps()), store.users());
//! # let _ = gate;
//! # Ok(())
//! # }
//! ```

mod apps;
mod cache;
mod listener;
mod users;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

pub use apps::PgAppStore;
pub use users::PgUserStore;

#[cfg(doc)]
use crate::store::AppStore;
use crate::store::{AppRecord, StoreError};
use crate::users::UserRecord;

/// The schema migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("schema.sql"))];

/// The advisory lock that serialises migrations across servers.
const MIGRATION_LOCK: i64 = 0x7061_7261_6175_7468; // "paraauth"

/// The channel the triggers notify.
const CHANNEL: &str = "para_auth";

/// How a [`PgStore`] connects and caches.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PgConfig {
    /// The longest a record read from the database is served before it is
    /// read again, even when no notification came (5 s).
    pub cache_ttl: Duration,
    /// Listen for changes made by other servers (on). Off, only the
    /// time-to-live bounds how stale a cached record may be.
    pub notifications: bool,
    /// Connections in the pool (16).
    pub pool_size: usize,
    /// Records each cache holds, apps and users apart (100 000).
    pub cache_capacity: usize,
    /// How long the listener waits before connecting again (1 s).
    pub reconnect_delay: Duration,
    /// The longest one store operation may take, waiting for a connection
    /// included (5 s). Beyond it the operation fails, and the request is
    /// refused as `store` (500): a stalled database never holds requests.
    /// Migrations at connect are not limited.
    pub timeout: Duration,
    /// Set the same limit on the server as well (on): `statement_timeout`,
    /// `lock_timeout` and `idle_in_transaction_session_timeout`, as startup
    /// options, before the URL's own `options` (which win). Turn it off
    /// behind a pooler that refuses startup options, such as PgBouncer.
    pub server_timeouts: bool,
}

impl Default for PgConfig {
    fn default() -> Self {
        PgConfig {
            cache_ttl: Duration::from_secs(5),
            notifications: true,
            pool_size: 16,
            cache_capacity: 100_000,
            reconnect_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            server_timeouts: true,
        }
    }
}

impl PgConfig {
    /// The same, with the server-side limits on or off.
    pub fn with_server_timeouts(mut self, on: bool) -> Self {
        self.server_timeouts = on;
        self
    }

    /// The same, with this limit on each store operation.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same, with this time-to-live for cached records.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The same, listening for other servers' changes or not.
    pub fn with_notifications(mut self, on: bool) -> Self {
        self.notifications = on;
        self
    }

    /// The same, with this many pooled connections.
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }
}

/// Why the PostgreSQL store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection string could not be read.
    #[error("the database url is not valid")]
    Url(#[source] tokio_postgres::Error),
    /// The database refused or failed a statement.
    #[error("database error")]
    Database(#[from] tokio_postgres::Error),
    /// No connection could be had from the pool.
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The pool could not be built.
    #[error("connection pool setup failed")]
    Setup(#[from] deadpool_postgres::BuildError),
    /// A row holds something no record can: the database was edited by hand.
    #[error("corrupt row in {table}: {what}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        what: &'static str,
    },
    /// [`PgStore::connect`] was called outside a Tokio runtime.
    #[error("not within a tokio runtime")]
    NoRuntime,
    /// The listener never got to listen.
    #[error("the change listener did not start")]
    Listener,
    /// An operation took longer than [`PgConfig::timeout`].
    #[error("the database did not answer in time")]
    Timeout,
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        StoreError::new(e)
    }
}

/// What the stores of one server share: the pool and the caches.
pub(crate) struct Shared {
    pool: Pool,
    timeout: Duration,
    apps: cache::Cache<AppRecord>,
    users: cache::Cache<UserRecord>,
    listener: Mutex<Option<tokio::task::AbortHandle>>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").field("pool", &self.pool.status()).finish_non_exhaustive()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let listener = self.listener.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(task) = listener.take() {
            task.abort();
        }
    }
}

impl Shared {
    /// A change announced on the channel: `["app", key]` or `["user", app, id]`.
    fn changed(&self, payload: &str) {
        match serde_json::from_str::<Vec<String>>(payload).as_deref() {
            Ok([kind, key]) if kind == "app" => self.apps.mark_stale(key),
            Ok([kind, app, id]) if kind == "user" => self.users.mark_stale(&users::key(app, id)),
            // Not ours to read: drop everything rather than guess.
            _ => self.mark_all_stale(),
        }
    }

    fn mark_all_stale(&self) {
        self.apps.mark_all_stale();
        self.users.mark_all_stale();
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        Ok(self.pool.get().await?)
    }

    /// `work`, or [`PgError::Timeout`] once it has taken the configured time.
    pub(crate) async fn within<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, PgError>>,
    ) -> Result<T, PgError> {
        tokio::time::timeout(self.timeout, work).await.unwrap_or(Err(PgError::Timeout))
    }
}

/// One server's connection to the shared database: a pool, the caches and
/// the change listener. Cheap to clone; the listener stops when the last
/// clone (and every store handed out) is dropped.
#[derive(Debug, Clone)]
pub struct PgStore {
    shared: Arc<Shared>,
}

impl PgStore {
    /// Connect to `url`, apply the schema if needed, and start listening
    /// for changes (when [`PgConfig::notifications`] is on). Call it within
    /// a Tokio runtime.
    ///
    /// # Errors
    /// [`PgError::Url`] for a bad connection string, [`PgError::NoRuntime`]
    /// outside a runtime, and the database's errors while migrating or
    /// starting to listen.
    pub async fn connect(url: &str, config: PgConfig) -> Result<Self, PgError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| PgError::NoRuntime)?;
        let mut pg = tokio_postgres::Config::from_str(url).map_err(PgError::Url)?;
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(config.timeout);
        }
        // The server gives up too: a statement or a lock wait abandoned at
        // the time limit frees its connection and its locks, and a client
        // that stalls inside a transaction loses it. The URL's own options
        // come after, so what it sets wins.
        if config.server_timeouts {
            // PostgreSQL takes at most i32::MAX milliseconds.
            let millis = config.timeout.as_millis().clamp(1, i32::MAX as u128);
            let limits = format!(
                "-c statement_timeout={millis} -c lock_timeout={millis} \
                 -c idle_in_transaction_session_timeout={millis}"
            );
            let options = match pg.get_options() {
                Some(given) => format!("{limits} {given}"),
                None => limits,
            };
            pg.options(&options);
        }
        let manager = Manager::from_config(
            pg.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(config.timeout))
            .create_timeout(Some(config.timeout))
            .recycle_timeout(Some(config.timeout))
            .build()?;

        // Getting a connection is bounded; a migration may take what it takes.
        let client = tokio::time::timeout(config.timeout, pool.get()).await;
        let mut client = client.map_err(|_| PgError::Timeout)??;
        migrate(&mut client).await?;
        drop(client);

        let shared = Arc::new(Shared {
            pool,
            timeout: config.timeout,
            apps: cache::Cache::new(config.cache_ttl, config.cache_capacity),
            users: cache::Cache::new(config.cache_ttl, config.cache_capacity),
            listener: Mutex::new(None),
        });
        if config.notifications {
            let task = listener::start(&handle, pg, &shared, config.reconnect_delay).await?;
            *crate::sync::lock(&shared.listener) = Some(task);
        }
        Ok(PgStore { shared })
    }

    /// The app store.
    pub fn apps(&self) -> PgAppStore {
        PgAppStore::new(self.shared.clone())
    }

    /// The user store.
    pub fn users(&self) -> PgUserStore {
        PgUserStore::new(self.shared.clone())
    }

    /// Mark every cached record stale, so each is read again before use
    /// (records whose rows did not change keep their identity).
    pub fn refresh_all(&self) {
        self.shared.mark_all_stale();
    }
}

/// Apply the migrations this database lacks, under an advisory lock. A
/// database already up to date is only read: a role without the right to
/// create tables can use it.
async fn migrate(client: &mut deadpool_postgres::Object) -> Result<(), PgError> {
    let latest = MIGRATIONS.iter().map(|(version, _)| *version).max().unwrap_or(0);
    let exists = client
        .query_one("SELECT to_regclass('para_auth_migrations') IS NOT NULL", &[])
        .await?
        .try_get::<_, bool>(0)?;
    if exists {
        let row = client.query_one("SELECT max(version) FROM para_auth_migrations", &[]).await?;
        if row.try_get::<_, Option<i32>>(0)?.unwrap_or(0) >= latest {
            return Ok(());
        }
    }
    let tx = client.transaction().await?;
    // A migration is no request: the time limits do not apply to it.
    tx.batch_execute(
        "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; \
         SET LOCAL idle_in_transaction_session_timeout = 0",
    )
    .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS para_auth_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let row = tx.query_one("SELECT max(version) FROM para_auth_migrations", &[]).await?;
    let applied: i32 = row.try_get::<_, Option<i32>>(0)?.unwrap_or(0);
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO para_auth_migrations (version) VALUES ($1)", &[version]).await?;
    }
    tx.commit().await?;
    Ok(())
}

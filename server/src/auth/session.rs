//! Sessions with tower-sessions, stored in the catalog's database (SQLite or
//! PostgreSQL) so they survive restarts and are shared by replicas: HttpOnly,
//! SameSite=Lax, Secure when the portal is served over https, expiring after
//! a configured idle time.

use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::store::Backend;

/// The session cookie's name.
pub const COOKIE: &str = "portolan_session";

/// A session store on whichever database the catalog uses.
#[derive(Debug, Clone)]
pub enum DbSessionStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PostgresStore),
}

impl DbSessionStore {
    /// Connects to `url` (the catalog's database) and creates the sessions
    /// table if needed.
    pub async fn connect(url: &str, backend: Backend) -> anyhow::Result<DbSessionStore> {
        Ok(match backend {
            Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options.create_if_missing(true).busy_timeout(Duration::from_secs(5)))
                    .await?;
                let store = SqliteStore::new(pool);
                store.migrate().await?;
                DbSessionStore::Sqlite(store)
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(url).await?;
                let store = PostgresStore::new(pool);
                store.migrate().await?;
                DbSessionStore::Postgres(store)
            }
        })
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.create(record).await,
            DbSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.save(record).await,
            DbSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            DbSessionStore::Sqlite(s) => s.load(id).await,
            DbSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            DbSessionStore::Sqlite(s) => s.delete(id).await,
            DbSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

/// The session layer: cookie flags and idle expiry.
pub fn layer(store: DbSessionStore, secure: bool, idle: Duration) -> SessionManagerLayer<DbSessionStore> {
    let idle = tower_sessions::cookie::time::Duration::seconds(i64::try_from(idle.as_secs()).unwrap_or(i64::MAX / 2));
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

//! PostgreSQL, for deployments that run several app instances on one database.
//! Migrations in migrations/postgres.

use super::Dialect;
use app::store::{Backend, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await.map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(PgStore { pool })
    }

    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(map_err)
    }

    /// The pool for write-heavy work: the same pool (PostgreSQL writes concurrently).
    pub(crate) fn writer(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) fn map_err(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return StoreError::Conflict { constraint: db.constraint().unwrap_or_default().to_string() };
        }
    }
    if let sqlx::Error::RowNotFound = error {
        return StoreError::NotFound;
    }
    StoreError::Database(error.to_string())
}

impl Dialect for PgStore {
    const BACKEND: Backend = Backend::Postgres;
    /// 26 binds a contact row; PostgreSQL allows 65,535 bind parameters per statement.
    const BULK_ROWS: usize = 2000;
    /// PostgreSQL plans substring searches well on its own (parallel sequential scan).
    const SEARCH_SOURCE: &'static str = "contacts c";
    const INDEX_EXISTS: &'static str =
        "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1";
    const IDS_OF_JSON: &'static str = "SELECT value::BIGINT AS id FROM jsonb_array_elements_text($1::JSONB) AS value";
    /// One array parameter, parsed once and planned as one index scan: a batch's 20,000
    /// addresses in two statements instead of forty lists of 1,000 binds (each planned
    /// and converted value by value, most of an import's lookup time).
    const TEXTS_IN: usize = 20_000;
}

/// `column = ANY($n)`: these values as one `TEXT[]` parameter.
pub(crate) fn texts_in<'a, S: AsRef<str>>(
    b: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>,
    column: &str,
    values: &'a [S],
) {
    let values: Vec<&'a str> = values.iter().map(AsRef::as_ref).collect();
    b.push(column).push(" = ANY(").push_bind(values).push(")");
}

/// This backend's database and store, as the portable modules below name them.
type Db = sqlx::Postgres;
type DbStore = PgStore;

mod copy;
mod fold;

// The queries, written once (see `store`).
#[path = "../portable/mod.rs"]
mod portable;

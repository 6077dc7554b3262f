//! The two storage backends behind `app::store::Store`. Most query texts are portable
//! (`$n` placeholders, upserts, `RETURNING`, row-value comparisons work in SQLite ≥ 3.35
//! and PostgreSQL alike), so `sql_store!` writes each method once and instantiates it
//! for both backends; what differs (connecting, pragmas, error decoding, batch sizes) is
//! written per backend in `sqlite.rs` and `postgres.rs`.

#[macro_use]
mod sql;
#[macro_use]
mod engagement_sql;
#[macro_use]
mod incentives_sql;
#[macro_use]
mod mail_sql;
#[macro_use]
mod partners_sql;
#[macro_use]
mod signups_sql;
#[macro_use]
mod users_sql;
mod events_bulk;
pub mod postgres;
mod rows;
pub mod sqlite;

use app::store::{Store, StoreError};
use std::sync::Arc;

/// Opens the database named by the URL (`sqlite://…` or `postgres://…`) and migrates it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::PgStore::connect(url).await?)
    } else if url.starts_with("sqlite:") {
        Arc::new(sqlite::SqliteStore::connect(url).await?)
    } else {
        return Err(StoreError::Database("DATABASE_URL must start with sqlite:// or postgres://".into()));
    };
    store.ensure_indexes().await?;
    Ok(store)
}

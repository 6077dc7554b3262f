//! The two storage backends behind `app::store::Store`. Most query texts are portable
//! (`$n` placeholders, upserts, `RETURNING`, row-value comparisons work in SQLite ≥ 3.35
//! and PostgreSQL alike), so each is written once, in plain Rust under `portable/`, and
//! that folder is mounted once per backend (`sqlite/mod.rs`, `postgres/mod.rs` name
//! their `Db` and `DbStore` and mount `portable/mod.rs` with `#[path]`). What truly differs is
//! written per backend: connecting, pragmas, error decoding, and the `Dialect` (batch
//! sizes, the search's source); the event fold (`fold.rs`, with each backend's own
//! `fold.rs`) differs where performance needs it.

mod fold;
pub mod postgres;
pub mod sqlite;
mod values;

use app::store::{Backend, Store, StoreError};
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

/// What truly differs in the portable queries between the backends (beyond connecting
/// and decoding errors, which each backend's `mod.rs` writes).
pub(crate) trait Dialect {
    const BACKEND: Backend;
    /// Rows per multi-row INSERT, under the backend's bind-parameter limit (24 binds a
    /// contact row).
    const BULK_ROWS: usize;
    /// The `FROM` of a contact list searched by substring.
    const SEARCH_SOURCE: &'static str;
    /// Counts the indexes named `$1`.
    const INDEX_EXISTS: &'static str;
    /// A query of one column `id`: the integers of the JSON array bound as `$1`.
    const IDS_OF_JSON: &'static str;
    /// Values a statement matches a column against (`texts_in`): an `IN` list binds one
    /// parameter each, PostgreSQL's `= ANY` one array for them all.
    const TEXTS_IN: usize;
}

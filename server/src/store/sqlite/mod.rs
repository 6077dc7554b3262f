//! SQLite, the embedded default: one file in WAL mode, migrations in migrations/sqlite.

use super::Dialect;
use app::store::{Backend, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// One connection for the write-heavy paths (event ingestion). SQLite runs one
    /// writer at a time anyway; always using the same connection keeps its page cache
    /// (larger than the readers') warm, where rotating through the pool would find each
    /// connection's cache invalidated by the others' writes.
    writer: SqlitePool,
    /// One connection to the event inbox (`<database>.inbox`), which the writer
    /// attaches as `inbox` to fold it.
    intake: SqlitePool,
}

/// How much memory SQLite's page caches may hold, the server's main use of memory
/// besides requests in flight: `CARNET_SQLITE_CACHE_MIB` (default 512) for the
/// connection that folds events and writes in bulk, whose cache holds the pages folds
/// rewrite; each of the 8 pool connections gets a thirty-second of it (their reads come
/// from the mapped file, not the cache; what they hold is the pages a write changes,
/// and a bulk load ran as fast with 16 MiB as with 64), the inbox's connection 16 MiB. The caches fill as
/// pages are first written and then stay at their size: memory grows for the first
/// minutes of work and levels off, up to about twice the setting.
struct PageCaches {
    writer_mib: u32,
}

impl PageCaches {
    const DEFAULT_MIB: u32 = 512;

    fn from_env() -> Result<PageCaches, StoreError> {
        let writer_mib = match std::env::var("CARNET_SQLITE_CACHE_MIB") {
            Err(_) => Self::DEFAULT_MIB,
            Ok(text) => text.trim().parse::<u32>().ok().filter(|m| (8..=65_536).contains(m)).ok_or_else(|| {
                StoreError::Database(format!("CARNET_SQLITE_CACHE_MIB must be 8 to 65536 (MiB), not {text:?}"))
            })?,
        };
        Ok(PageCaches { writer_mib })
    }

    /// `cache_size` takes KiB as a negative number.
    fn writer_pragma(&self) -> String {
        format!("-{}", self.writer_mib as u64 * 1024)
    }

    fn pool_pragma(&self) -> String {
        format!("-{}", (self.writer_mib as u64 * 1024 / 32).max(1024))
    }
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::open(url, true).await
    }

    /// Opens the database as it is, without migrating it (a backup of a database a
    /// running server, perhaps of another version, owns).
    pub async fn connect_unmigrated(url: &str) -> Result<Self, StoreError> {
        Self::open(url, false).await
    }

    async fn open(url: &str, migrate: bool) -> Result<Self, StoreError> {
        let cache = PageCaches::from_env()?;
        let options = SqliteConnectOptions::from_str(url)
            .map_err(map_err)?
            .create_if_missing(true)
            // WAL lets pages read while a write is under way; NORMAL is durable across
            // application crashes and only risks the last transaction on power loss.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", cache.pool_pragma())
            // Checkpoint every 64 MiB of WAL rather than every 4 MiB: each checkpoint
            // syncs, and big writes (seeding, imports) would otherwise sync hundreds of times.
            .pragma("wal_autocheckpoint", "16384")
            // Sorts and temporary tables bigger than the page cache spill to temporary
            // files (the operating system's cache, reclaimable) rather than to the
            // process's own memory: an index built over a million rows sorts more than
            // a hundred megabytes.
            .pragma("temp_store", "file")
            // After a checkpoint, the log file is cut back to 64 MiB instead of keeping
            // the size of the largest write it ever held.
            .pragma("journal_size_limit", "67108864")
            // Readers share the operating system's cache of the file instead of copying it.
            .pragma("mmap_size", "1073741824");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1)
            .after_release(|conn, _| Box::pin(direct::end_abandoned_transaction(conn)))
            .connect_with(options.clone())
            .await
            .map_err(map_err)?;
        if migrate {
            sqlx::migrate!("../migrations/sqlite").run(&pool).await.map_err(|e| StoreError::Database(e.to_string()))?;
        }
        if in_memory {
            // One connection holds everything, the inbox attached beside it.
            sqlx::query("ATTACH DATABASE ':memory:' AS inbox").execute(&pool).await.map_err(map_err)?;
            sqlx::query(&fold::CREATE_INBOX.replace("event_inbox", "inbox.event_inbox"))
                .execute(&pool)
                .await
                .map_err(map_err)?;
            sqlx::query(&fold::CREATE_MARKS.replace("event_inbox_marks", "inbox.event_inbox_marks"))
                .execute(&pool)
                .await
                .map_err(map_err)?;
            return Ok(SqliteStore { writer: pool.clone(), intake: pool.clone(), pool });
        }
        let mut inbox_path = options.get_filename().as_os_str().to_owned();
        inbox_path.push(".inbox");
        let inbox_path = inbox_path.to_string_lossy().into_owned();
        let intake = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone().filename(&inbox_path).pragma("cache_size", "-16384").foreign_keys(false))
            .await
            .map_err(map_err)?;
        sqlx::query(fold::CREATE_INBOX).execute(&intake).await.map_err(map_err)?;
        sqlx::query(fold::CREATE_MARKS).execute(&intake).await.map_err(map_err)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .after_connect(move |conn, _| {
                let inbox = inbox_path.clone();
                Box::pin(async move {
                    sqlx::query("ATTACH DATABASE $1 AS inbox").bind(inbox).execute(conn).await?;
                    Ok(())
                })
            })
            // The writer only folds events, and a fold only writes timeline rows for
            // contacts it has just seen in the engagement table, holding the write lock
            // (so none can be deleted meanwhile): checking each row's contact again
            // would read a random page of the wide contacts table per event.
            .connect_with(options.pragma("cache_size", cache.writer_pragma()).foreign_keys(false))
            .await
            .map_err(map_err)?;
        Ok(SqliteStore { pool, writer, intake })
    }

    /// The pool for write-heavy work.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// A transaction that writes: it takes the write lock at once (waiting for it as
    /// long as the busy timeout allows). Begun as a reader instead, it would fail at
    /// its first write if another connection had committed in between.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)
    }

    /// The pool appending to the event inbox.
    pub(crate) fn intake(&self) -> &SqlitePool {
        &self.intake
    }
}

/// SQLite reports unique violations as "UNIQUE constraint failed: table.column"; the
/// constraint is named after the table and column the way PostgreSQL names it.
pub(crate) fn map_err(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let columns = db.message().rsplit(": ").next().unwrap_or_default();
            let constraint = match columns {
                "contacts.email" => "contacts_email_key".to_string(),
                "users.email" => "users_email_key".to_string(),
                "newsletters.name" => "newsletters_name_key".to_string(),
                other => other.replace('.', "_"),
            };
            return StoreError::Conflict { constraint };
        }
    }
    if let sqlx::Error::RowNotFound = error {
        return StoreError::NotFound;
    }
    StoreError::Database(error.to_string())
}

impl Dialect for SqliteStore {
    const BACKEND: Backend = Backend::Sqlite;
    /// 26 binds a contact row; SQLite allows 32,766 bind parameters per statement.
    const BULK_ROWS: usize = 1000;
    /// A substring search cannot use an index range, and left alone SQLite walks the sort
    /// index and reads every table row (3 s at a million contacts). Scanning the narrow
    /// search index instead reads table rows only for the matches.
    const SEARCH_SOURCE: &'static str = "contacts c INDEXED BY contacts_search";
    const INDEX_EXISTS: &'static str = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1";
    const IDS_OF_JSON: &'static str = "SELECT value AS id FROM json_each($1)";
    const TEXTS_IN: usize = 1000;
}

/// `column IN (…)` of these values, one bind each (SQLite binds no arrays).
pub(crate) fn texts_in<'a, S: AsRef<str>>(b: &mut sqlx::QueryBuilder<'a, sqlx::Sqlite>, column: &str, values: &'a [S]) {
    b.push(column).push(" IN (");
    let mut list = b.separated(", ");
    for v in values {
        list.push_bind(v.as_ref());
    }
    list.push_unseparated(")");
}

impl SqliteStore {
    /// SQLite has no COPY: one prepared statement stepped for each row, in process, is
    /// its fastest way in (`direct`).
    pub(crate) async fn insert_contacts(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        rows: &[(&app::model::ContactFields, app::model::Timestamp, i64)],
    ) -> app::store::StoreResult<std::collections::HashMap<String, app::model::ContactId>> {
        direct::insert_contacts(tx, rows).await
    }

    pub(crate) async fn add_subscriptions(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        subs: &[(app::model::ContactId, &app::store::Consented)],
    ) -> app::store::StoreResult<()> {
        direct::add_subscriptions(tx, subs).await
    }

    pub(crate) async fn add_suppression_hashes(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        hashes: &[&str],
        reason: &str,
        import_id: app::model::ImportId,
        now: app::model::Timestamp,
    ) -> app::store::StoreResult<Vec<bool>> {
        direct::add_suppression_hashes(tx, hashes, reason, import_id.0, now).await
    }
}

/// This backend's database and store, as the portable modules below name them.
type Db = sqlx::Sqlite;
type DbStore = SqliteStore;

mod direct;
mod fold;

// The queries, written once (see `store`).
#[path = "../portable/mod.rs"]
mod portable;

/// What a backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCopy {
    pub database: std::path::PathBuf,
    pub inbox: std::path::PathBuf,
    /// Accepted events the copy has yet to apply (it applies them when served).
    pub waiting_events: i64,
}

impl SqliteStore {
    /// A consistent copy of this database, while it serves: `to` and, beside it,
    /// `to.inbox` (its event inbox), opened by `carnet serve` like any database.
    ///
    /// The inbox is copied first, then the main file. Every event is in the inbox
    /// until a fold has both applied it and committed the cursor past it in the main
    /// file, and only then is it deleted from the inbox: so the later main copy has
    /// applied whatever is missing from the earlier inbox copy. The copy of the inbox
    /// then drops what the copy of the main file has applied, and numbers on from its
    /// cursor: no event is lost, none is applied twice.
    pub async fn backup(&self, to: &std::path::Path) -> Result<BackupCopy, String> {
        let database = to.to_path_buf();
        let mut inbox = database.clone().into_os_string();
        inbox.push(".inbox");
        let inbox = std::path::PathBuf::from(inbox);
        for path in [&database, &inbox] {
            if path.exists() {
                return Err(format!("{} exists: choose another name, or move it away first", path.display()));
            }
        }
        let partial = |path: &std::path::Path| {
            let mut p = path.to_path_buf().into_os_string();
            p.push(".partial");
            std::path::PathBuf::from(p)
        };
        let (inbox_partial, database_partial) = (partial(&inbox), partial(&database));
        for path in [&inbox_partial, &database_partial] {
            let _ = std::fs::remove_file(path);
        }
        let copied = async {
            sqlx::query("VACUUM INTO $1")
                .bind(inbox_partial.to_string_lossy().into_owned())
                .execute(self.intake())
                .await
                .map_err(failed)?;
            sqlx::query("VACUUM main INTO $1")
                .bind(database_partial.to_string_lossy().into_owned())
                .execute(&self.pool)
                .await
                .map_err(failed)?;
            let copy = |path: &std::path::Path| {
                SqliteConnectOptions::new().filename(path).journal_mode(SqliteJournalMode::Delete).foreign_keys(false)
            };
            let mut main = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&copy(&database_partial))
                .await
                .map_err(failed)?;
            let folded: i64 = sqlx::query_scalar("SELECT folded_through FROM event_folds")
                .fetch_one(&mut main)
                .await
                .map_err(failed)?;
            sqlx::Connection::close(main).await.map_err(failed)?;
            let mut events = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&copy(&inbox_partial))
                .await
                .map_err(failed)?;
            let mut tx = sqlx::Connection::begin(&mut events).await.map_err(failed)?;
            sqlx::query("DELETE FROM event_inbox WHERE id <= $1")
                .bind(folded)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
            // AUTOINCREMENT keeps its counter in sqlite_sequence, which has its row
            // once a first event was accepted.
            sqlx::query("DELETE FROM sqlite_sequence WHERE name = 'event_inbox' AND seq < $1")
                .bind(folded)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
            sqlx::query(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'event_inbox', $1 \
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'event_inbox')",
            )
            .bind(folded)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
            let waiting: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM event_inbox").fetch_one(&mut *tx).await.map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            sqlx::Connection::close(events).await.map_err(failed)?;
            Ok::<_, String>(waiting)
        }
        .await;
        let waiting_events = match copied {
            Ok(waiting) => waiting,
            Err(e) => {
                for path in [&inbox_partial, &database_partial] {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        // The inbox lands first: a main file beside no inbox would start a new one.
        std::fs::rename(&inbox_partial, &inbox).map_err(|e| e.to_string())?;
        std::fs::rename(&database_partial, &database).map_err(|e| e.to_string())?;
        Ok(BackupCopy { database, inbox, waiting_events })
    }
}

fn failed(e: sqlx::Error) -> String {
    map_err(e).to_string()
}

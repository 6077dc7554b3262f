//! The event fold on SQLite (see `store::fold`).

use super::{map_err, SqliteStore};
use crate::store::fold::*;
use crate::store::Dialect;
use app::model::events::EventKind;
use app::store::{NewEvent, StoreResult};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;

/// The inbox, in its own file (the statement runs on the intake connection).
pub const CREATE_INBOX: &str = "CREATE TABLE IF NOT EXISTS event_inbox (\
    id INTEGER PRIMARY KEY AUTOINCREMENT, contact_id INTEGER NOT NULL, kind TEXT NOT NULL, \
    interaction BOOLEAN NOT NULL, occurred_at INTEGER NOT NULL, detail TEXT NOT NULL, \
    actor TEXT NOT NULL, campaign TEXT NOT NULL, meta TEXT NOT NULL)";

pub fn day_of(at: &str) -> String {
    format!("date({at}, 'unixepoch')")
}

/// Read without the writer, which may be busy folding. Counts from where the next
/// fold starts (`CURSOR`): from the start of an inbox file numbered anew.
pub async fn pending(store: &SqliteStore) -> StoreResult<i64> {
    let mut through: i64 =
        sqlx::query_scalar("SELECT folded_through FROM event_folds").fetch_one(&store.pool).await.map_err(map_err)?;
    let numbered_to: i64 =
        sqlx::query_scalar("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'event_inbox'), 0)")
            .fetch_one(store.intake())
            .await
            .map_err(map_err)?;
    if numbered_to < through {
        through = 0;
    }
    sqlx::query_scalar("SELECT COUNT(*) FROM event_inbox WHERE id > $1")
        .bind(through)
        .fetch_one(store.intake())
        .await
        .map_err(map_err)
}

/// Marks of work that queues events (imports): how far each got, written in the same
/// transaction as its events, in the inbox's file.
pub const CREATE_MARKS: &str =
    "CREATE TABLE IF NOT EXISTS event_inbox_marks (mark TEXT PRIMARY KEY, through INTEGER NOT NULL)";

pub async fn queue(store: &SqliteStore, events: &[NewEvent]) -> StoreResult<()> {
    let tx = store.intake().begin().await.map_err(map_err)?;
    insert_and_commit(tx, events, None).await
}

pub async fn queue_marked(
    store: &SqliteStore,
    events: &[NewEvent],
    mark: &str,
    from: i64,
    through: i64,
) -> StoreResult<()> {
    let tx = store.intake().begin().await.map_err(map_err)?;
    insert_and_commit(tx, events, Some((mark, from, through))).await
}

pub async fn inbox_mark(store: &SqliteStore, mark: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT through FROM event_inbox_marks WHERE mark = $1")
        .bind(mark)
        .fetch_optional(store.intake())
        .await
        .map_err(map_err)
}

async fn insert_and_commit(
    mut tx: Transaction<'static, Sqlite>,
    events: &[NewEvent],
    mark: Option<(&str, i64, i64)>,
) -> StoreResult<()> {
    if let Some((mark, from, through)) = mark {
        let moved = sqlx::query(crate::store::fold::ADVANCE_MARK)
            .bind(mark)
            .bind(from)
            .bind(through)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if moved.rows_affected() == 0 {
            return Err(app::store::StoreError::LeaseLost);
        }
    }
    for chunk in events.chunks(SqliteStore::BULK_ROWS * 3) {
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(format!("INSERT INTO event_inbox ({INBOX_COLUMNS}) "));
        b.push_values(chunk, |mut v, e| {
            v.push_bind(e.contact_id)
                .push_bind(e.kind.as_str())
                .push_bind(e.kind.is_interaction())
                .push_bind(e.occurred_at)
                .push_bind(e.detail.as_str())
                .push_bind(e.actor.as_str())
                .push_bind(e.campaign.as_str())
                .push_bind(e.meta.as_str());
        });
        b.build().execute(&mut *tx).await.map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)
}

/// Where the unfolded events start. A new inbox file numbers its events from 1
/// again: then it is folded from its start.
const CURSOR: &str = "(SELECT CASE WHEN COALESCE((SELECT seq FROM inbox.sqlite_sequence \
    WHERE name = 'event_inbox'), 0) < folded_through THEN 0 ELSE folded_through END FROM event_folds)";

/// A transaction for a fold, when there is something to fold (so that an idle
/// folder never takes the write lock). It takes the main file's write lock with
/// its first statement: begun as a reader, it could not become a writer once
/// another connection had committed meanwhile. (Not BEGIN IMMEDIATE, which would
/// lock the inbox file too, and keep events from being accepted during the fold.)
pub async fn begin_fold(store: &SqliteStore) -> StoreResult<Option<Transaction<'static, Sqlite>>> {
    let waiting: bool =
        sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM inbox.event_inbox WHERE id > {CURSOR})"))
            .fetch_one(store.writer())
            .await
            .map_err(map_err)?;
    if !waiting {
        return Ok(None);
    }
    let mut tx = store.writer().begin().await.map_err(map_err)?;
    sqlx::query("UPDATE event_folds SET folded_through = folded_through").execute(&mut *tx).await.map_err(map_err)?;
    Ok(Some(tx))
}

/// Folds the next `limit` events: copies them into the temporary table `fold`,
/// moves the cursor past them and applies them, set-wise.
pub async fn fold(tx: &mut Transaction<'_, Sqlite>, limit: i64) -> StoreResult<(u64, Vec<Rare>)> {
    sqlx::query(&format!("CREATE TEMP TABLE IF NOT EXISTS fold (id INTEGER PRIMARY KEY, {INBOX_COLUMNS})"))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    sqlx::query("DELETE FROM fold").execute(&mut **tx).await.map_err(map_err)?;
    let taken = sqlx::query(&format!(
        "INSERT INTO fold (id, {INBOX_COLUMNS}) SELECT id, {INBOX_COLUMNS} FROM inbox.event_inbox \
         WHERE id > {CURSOR} ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?
    .rows_affected();
    if taken == 0 {
        return Ok((0, Vec::new()));
    }
    let sql = FoldSql::over("fold", day_of);
    for statement in [
        "UPDATE event_folds SET folded_through = (SELECT MAX(id) FROM fold)",
        &sql.timeline,
        &sql.instants,
        &sql.purchases,
    ] {
        sqlx::query(statement).execute(&mut **tx).await.map_err(map_err)?;
    }
    let rows = sqlx::query(&format!("SELECT f.contact_id, f.kind, f.occurred_at, f.actor {}", sql.rare))
        .fetch_all(&mut **tx)
        .await
        .map_err(map_err)?;
    let rare = rows
        .iter()
        .filter_map(|r| Some((r.get(0), EventKind::parse(r.get::<&str, _>(1))?, r.get(2), r.get(3))))
        .collect();
    Ok((taken, rare))
}

/// Drops the folded events from the inbox (in a short transaction of its own).
pub async fn after_fold(store: &SqliteStore) -> StoreResult<()> {
    let through: i64 = sqlx::query_scalar("SELECT folded_through FROM event_folds")
        .fetch_one(store.writer())
        .await
        .map_err(map_err)?;
    sqlx::query("DELETE FROM event_inbox WHERE id <= $1")
        .bind(through)
        .execute(store.intake())
        .await
        .map_err(map_err)?;
    // Readers come and go all the time under load, and SQLite's automatic
    // checkpoints only copy what no reader still needs: left alone, the
    // write-ahead log grows by every fold (measured: 6 GB, with every page read
    // slowed by looking it up there). A fold is a natural pause to copy it back
    // and start it over.
    for pool in [store.writer(), store.intake()] {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.map_err(map_err)?;
    }
    Ok(())
}

pub async fn existing_ids(pool: &SqlitePool, ids: &[app::model::ContactId]) -> StoreResult<Vec<app::model::ContactId>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(900) {
        // The narrow engagement table (one row per contact) is cheaper to probe.
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT contact_id FROM engagement WHERE contact_id IN (");
        let mut list = b.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        b.push(")");
        found.extend(
            b.build().fetch_all(pool).await.map_err(map_err)?.iter().map(|r| r.get::<app::model::ContactId, _>(0)),
        );
    }
    Ok(found)
}

pub async fn ids_by_email(pool: &SqlitePool, emails: &[String]) -> StoreResult<HashMap<String, app::model::ContactId>> {
    let mut found = HashMap::with_capacity(emails.len());
    for chunk in emails.chunks(900) {
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id, email FROM contacts WHERE email IN (");
        let mut list = b.separated(", ");
        for e in chunk {
            list.push_bind(e.as_str());
        }
        b.push(")");
        for row in b.build().fetch_all(pool).await.map_err(map_err)? {
            found.insert(row.get::<String, _>(1), row.get::<app::model::ContactId, _>(0));
        }
    }
    Ok(found)
}

//! The event fold on PostgreSQL (see `store::fold`).

use super::{map_err, PgStore};
use crate::store::fold::*;
use app::model::events::EventKind;
use app::store::{NewEvent, StoreResult};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::collections::HashMap;

/// Folders wait for each other on this advisory lock.
const FOLD_LOCK: i64 = 0x0063_6172_6e65_7401; // "carnet", 1

pub fn day_of(at: &str) -> String {
    format!("to_char(to_timestamp({at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
}

pub async fn pending(store: &PgStore) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM event_inbox").fetch_one(store.writer()).await.map_err(map_err)
}

pub async fn queue_marked(
    store: &PgStore,
    events: &[NewEvent],
    mark: &str,
    from: i64,
    through: i64,
) -> StoreResult<()> {
    let mut tx = store.writer().begin().await.map_err(map_err)?;
    // The mark first: a second run of the same chunk waits here for the first to
    // commit, then finds the mark moved and writes nothing.
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
    if !events.is_empty() {
        insert(&mut tx, events).await?;
    }
    tx.commit().await.map_err(map_err)
}

pub async fn inbox_mark(store: &PgStore, mark: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT through FROM event_inbox_marks WHERE mark = $1")
        .bind(mark)
        .fetch_optional(store.writer())
        .await
        .map_err(map_err)
}

pub async fn queue(store: &PgStore, events: &[NewEvent]) -> StoreResult<()> {
    let mut conn = store.writer().acquire().await.map_err(map_err)?;
    insert(&mut conn, events).await
}

async fn insert(conn: &mut sqlx::PgConnection, events: &[NewEvent]) -> StoreResult<()> {
    let col = |f: fn(&NewEvent) -> String| events.iter().map(f).collect::<Vec<String>>();
    sqlx::query(&format!(
        "INSERT INTO event_inbox ({INBOX_COLUMNS}) \
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::boolean[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])"
    ))
    .bind(events.iter().map(|e| e.contact_id).collect::<Vec<app::model::ContactId>>())
    .bind(col(|e| e.kind.as_str().to_string()))
    .bind(events.iter().map(|e| e.kind.is_interaction()).collect::<Vec<bool>>())
    .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<app::model::Timestamp>>())
    .bind(col(|e| e.detail.clone()))
    .bind(col(|e| e.actor.clone()))
    .bind(col(|e| e.campaign.clone()))
    .bind(col(|e| e.meta.clone()))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// A transaction for a fold, when there is something to fold: an idle folder (every
/// second, on every instance) neither holds a connection nor waits on the lock.
pub async fn begin_fold(store: &PgStore) -> StoreResult<Option<Transaction<'static, Postgres>>> {
    let waiting: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM event_inbox)")
        .fetch_one(store.writer())
        .await
        .map_err(map_err)?;
    if !waiting {
        return Ok(None);
    }
    store.writer().begin().await.map(Some).map_err(map_err)
}

/// Folds the oldest `limit` events in one statement: the inbox rows deleted and
/// applied together, so each is applied once. Only rows committed when the
/// statement starts are taken: an event committed meanwhile with a smaller id
/// waits for the next fold.
pub async fn fold(tx: &mut Transaction<'_, Postgres>, limit: i64) -> StoreResult<(u64, Vec<Rare>)> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FOLD_LOCK).execute(&mut **tx).await.map_err(map_err)?;
    // Room to group a few hundred thousand events in memory, and no JIT compilation
    // of a statement whose cost is in its writes.
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut **tx).await.map_err(map_err)?;
    sqlx::query("SET LOCAL jit = off").execute(&mut **tx).await.map_err(map_err)?;
    let sql = FoldSql::over("taken", day_of);
    let row = sqlx::query(&format!(
        "WITH taken AS (DELETE FROM event_inbox WHERE id IN (SELECT id FROM event_inbox ORDER BY id LIMIT $1) \
           RETURNING {INBOX_COLUMNS}), \
         timeline AS ({timeline}), instants AS ({instants}), bought AS ({purchases}) \
         SELECT (SELECT COUNT(*) FROM taken), \
           (SELECT COALESCE(json_agg(json_build_array(f.contact_id, f.kind, f.occurred_at, f.actor)), '[]')::text {rare})",
        timeline = sql.timeline,
        instants = sql.instants,
        purchases = sql.purchases,
        rare = sql.rare,
    ))
    .bind(limit)
    .fetch_one(&mut **tx)
    .await
    .map_err(map_err)?;
    let taken: i64 = row.get(0);
    let rare: Vec<(app::model::ContactId, String, app::model::Timestamp, String)> =
        serde_json::from_str(row.get::<&str, _>(1))
            .map_err(|e| app::store::StoreError::Database(format!("fold: {e}")))?;
    let rare =
        rare.into_iter().filter_map(|(id, kind, at, actor)| Some((id, EventKind::parse(&kind)?, at, actor))).collect();
    Ok((taken as u64, rare))
}

pub async fn after_fold(_: &PgStore) -> StoreResult<()> {
    Ok(())
}

pub async fn existing_ids(pool: &PgPool, ids: &[app::model::ContactId]) -> StoreResult<Vec<app::model::ContactId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query("SELECT contact_id FROM engagement WHERE contact_id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
        .map_err(map_err)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

pub async fn ids_by_email(pool: &PgPool, emails: &[String]) -> StoreResult<HashMap<String, app::model::ContactId>> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query("SELECT id, email FROM contacts WHERE email = ANY($1)")
        .bind(emails)
        .fetch_all(pool)
        .await
        .map_err(map_err)?;
    Ok(rows.iter().map(|r| (r.get::<String, _>(1), r.get::<app::model::ContactId, _>(0))).collect())
}

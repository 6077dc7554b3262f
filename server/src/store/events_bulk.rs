//! The hot path of event ingestion, written per backend.
//!
//! Accepting an event appends it to an inbox: sequential writes, so a request is
//! answered as soon as its events are durable. Folding takes the inbox in large
//! batches (SQLite: through a temporary `fold` table; PostgreSQL: one statement)
//! applies each batch set-wise, sorted by contact. Applying events one request at a
//! time touched about 2.7 random pages per event at a million contacts (the timeline
//! index, the engagement rows and their two status indexes); a fold of a few hundred
//! thousand events shares those pages between events, which is where the throughput
//! comes from. Folds run every second (and on demand), so statuses follow the events
//! within about a second.
//!
//! SQLite keeps the inbox in its own file (`<database>.inbox`), attached to the writer
//! connection: appending to it never waits for a fold holding the main file's write
//! lock, and `event_folds` (in the main file, written by the fold's own transaction)
//! says how far it has been applied. PostgreSQL keeps it as a table: a fold deletes the
//! rows it takes in its own transaction, under an advisory lock so that one instance
//! folds at a time.

use app::model::events::EventKind;
use app::store::{NewEvent, StoreResult};
use std::collections::HashMap;

/// The engagement row's instants, moved forward by folds.
pub const FORWARD: [&str; 4] = ["last_interaction_at", "last_signal_at", "last_open_at", "last_click_at"];

/// `SET col = the later of the stored and the new value` for each column of `table`,
/// with the new values in `col(i)`.
pub fn forward_set(table: &str, names: &[&str], col: impl Fn(usize) -> String) -> String {
    let sets: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let v = col(i);
            format!("{name} = CASE WHEN {v} IS NOT NULL AND ({table}.{name} IS NULL OR {table}.{name} < {v}) THEN {v} ELSE {table}.{name} END")
        })
        .collect();
    sets.join(", ")
}

/// The inbox's columns, in the order `queue` binds them (the timeline's names too).
const INBOX_COLUMNS: &str = "contact_id, kind, interaction, occurred_at, detail, actor, campaign, meta";

/// An event whose consequences are applied one by one (unsubscribes, hard bounces,
/// complaints: few, and each writes consent evidence): contact, kind, instant, sender.
pub type Rare = (i64, EventKind, i64, String);

/// Contacts deleted or erased since their events were accepted are skipped (an erased
/// contact keeps its row for the hashes, and must not grow a timeline again).
const LIVE: &str = "EXISTS (SELECT 1 FROM engagement e WHERE e.contact_id = f.contact_id \
                    AND (e.suppression_reason IS NULL OR e.suppression_reason <> 'erased'))";

/// The statements of a fold over the batch `src` (a table or a CTE of inbox rows),
/// the same text for both backends but for the day of an instant (`day`). Each
/// instant only moves forward: a late, older event changes nothing.
struct FoldSql {
    timeline: String,
    instants: String,
    purchases: String,
    rare: String,
}

impl FoldSql {
    fn over(src: &str, day: fn(&str) -> String) -> FoldSql {
        let values = ["v.li", "v.ls", "v.lo", "v.lc"];
        let rare: Vec<String> = EventKind::ALL
            .iter()
            .filter(|k| k.unsubscribes() || k.suppresses())
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        FoldSql {
            timeline: format!(
                "INSERT INTO activities ({INBOX_COLUMNS}) SELECT {cols} FROM {src} f WHERE {LIVE} ORDER BY f.contact_id, f.occurred_at",
                cols = INBOX_COLUMNS.split(", ").map(|c| format!("f.{c}")).collect::<Vec<_>>().join(", "),
            ),
            instants: format!(
                "UPDATE engagement SET {set} FROM (SELECT contact_id, MAX(occurred_at) AS li, \
                   MAX(CASE WHEN kind <> 'open' THEN occurred_at END) AS ls, \
                   MAX(CASE WHEN kind = 'open' THEN occurred_at END) AS lo, \
                   MAX(CASE WHEN kind = 'click' THEN occurred_at END) AS lc \
                 FROM {src} f WHERE f.interaction AND {LIVE} GROUP BY f.contact_id) AS v \
                 WHERE engagement.contact_id = v.contact_id AND ({moves})",
                set = forward_set("engagement", &FORWARD, |i| values[i].to_string()),
                moves = FORWARD
                    .iter()
                    .zip(values)
                    .map(|(col, v)| format!("{v} > COALESCE(engagement.{col}, -1)"))
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
            purchases: format!(
                "UPDATE contacts SET {set}, purchase_count = contacts.purchase_count + v.n \
                 FROM (SELECT f.contact_id, COUNT(*) AS n, {day} AS day FROM {src} f \
                   WHERE f.kind = 'purchase' AND {LIVE} GROUP BY f.contact_id) AS v \
                 WHERE contacts.id = v.contact_id",
                set = forward_set("contacts", &["last_purchase_on"], |_| "v.day".to_string()),
                day = day("MAX(occurred_at)"),
            ),
            rare: format!("FROM {src} f WHERE f.kind IN ({}) AND {LIVE}", rare.join(", ")),
        }
    }
}

pub mod sqlite {
    use super::*;
    use crate::store::sqlite::{map_err, SqliteStore};
    use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

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
        let mut through: i64 = sqlx::query_scalar("SELECT folded_through FROM event_folds")
            .fetch_one(&store.pool)
            .await
            .map_err(map_err)?;
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

    pub async fn queue(store: &SqliteStore, events: &[NewEvent]) -> StoreResult<()> {
        let mut tx = store.intake().begin().await.map_err(map_err)?;
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
        sqlx::query("UPDATE event_folds SET folded_through = folded_through")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
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

    pub async fn existing_ids(pool: &SqlitePool, ids: &[i64]) -> StoreResult<Vec<i64>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(900) {
            // The narrow engagement table (one row per contact) is cheaper to probe.
            let mut b: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT contact_id FROM engagement WHERE contact_id IN (");
            let mut list = b.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            b.push(")");
            found.extend(b.build().fetch_all(pool).await.map_err(map_err)?.iter().map(|r| r.get::<i64, _>(0)));
        }
        Ok(found)
    }

    pub async fn ids_by_email(pool: &SqlitePool, emails: &[String]) -> StoreResult<HashMap<String, i64>> {
        let mut found = HashMap::with_capacity(emails.len());
        for chunk in emails.chunks(900) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id, email FROM contacts WHERE email IN (");
            let mut list = b.separated(", ");
            for e in chunk {
                list.push_bind(e.as_str());
            }
            b.push(")");
            for row in b.build().fetch_all(pool).await.map_err(map_err)? {
                found.insert(row.get::<String, _>(1), row.get::<i64, _>(0));
            }
        }
        Ok(found)
    }
}

pub mod postgres {
    use super::*;
    use crate::store::postgres::{map_err, PgStore};
    use sqlx::{PgPool, Postgres, Row, Transaction};

    /// Folders wait for each other on this advisory lock.
    const FOLD_LOCK: i64 = 0x6361_726e_6574_01; // "carnet", 1

    pub fn day_of(at: &str) -> String {
        format!("to_char(to_timestamp({at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    }

    pub async fn pending(store: &PgStore) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM event_inbox").fetch_one(store.writer()).await.map_err(map_err)
    }

    pub async fn queue(store: &PgStore, events: &[NewEvent]) -> StoreResult<()> {
        let col = |f: fn(&NewEvent) -> String| events.iter().map(f).collect::<Vec<String>>();
        sqlx::query(&format!(
            "INSERT INTO event_inbox ({INBOX_COLUMNS}) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::boolean[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])"
        ))
        .bind(events.iter().map(|e| e.contact_id).collect::<Vec<i64>>())
        .bind(col(|e| e.kind.as_str().to_string()))
        .bind(events.iter().map(|e| e.kind.is_interaction()).collect::<Vec<bool>>())
        .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<i64>>())
        .bind(col(|e| e.detail.clone()))
        .bind(col(|e| e.actor.clone()))
        .bind(col(|e| e.campaign.clone()))
        .bind(col(|e| e.meta.clone()))
        .execute(store.writer())
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
        let rare: Vec<(i64, String, i64, String)> = serde_json::from_str(row.get::<&str, _>(1))
            .map_err(|e| app::store::StoreError::Database(format!("fold: {e}")))?;
        let rare = rare
            .into_iter()
            .filter_map(|(id, kind, at, actor)| Some((id, EventKind::parse(&kind)?, at, actor)))
            .collect();
        Ok((taken as u64, rare))
    }

    pub async fn after_fold(_: &PgStore) -> StoreResult<()> {
        Ok(())
    }

    pub async fn existing_ids(pool: &PgPool, ids: &[i64]) -> StoreResult<Vec<i64>> {
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

    pub async fn ids_by_email(pool: &PgPool, emails: &[String]) -> StoreResult<HashMap<String, i64>> {
        if emails.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sqlx::query("SELECT id, email FROM contacts WHERE email = ANY($1)")
            .bind(emails)
            .fetch_all(pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(|r| (r.get::<String, _>(1), r.get::<i64, _>(0))).collect())
    }
}

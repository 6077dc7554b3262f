//! The hot path of event ingestion, written per backend: timeline rows in, each
//! contact's instants moved forward, and the id/email lookups before. SQLite takes
//! multi-row VALUES (its statements are cheap to parse); PostgreSQL takes one array
//! per column through UNNEST, so 10,000 events are a handful of small, cached
//! statements instead of a few huge ones it must parse and plan each time (3–4× faster).

use app::store::{NewEvent, StoreResult};
use std::collections::HashMap;

/// What one batch does to one contact's row (only ever moving instants forward).
#[derive(Debug, Default)]
pub struct EffectRow {
    pub id: i64,
    pub last_interaction: Option<i64>,
    pub last_signal: Option<i64>,
    pub last_open: Option<i64>,
    pub last_click: Option<i64>,
    pub last_purchase_on: Option<String>,
    pub purchases: i64,
}

/// `SET col = the later of the stored and the new value` for each moved column of
/// `table`, with the new values in `col(i)` (a CASE: SQLite spells "the larger"
/// max(), PostgreSQL GREATEST()).
fn set_forward(table: &str, names: &[&str], col: impl Fn(usize) -> String) -> String {
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

/// The engagement row's instants.
const MOVED: [&str; 4] = ["last_interaction_at", "last_signal_at", "last_open_at", "last_click_at"];

/// Purchases also update the contact's own row (count and last purchase day); they
/// are a small share of events, so this touches few wide rows.
fn purchases(rows: &[EffectRow]) -> Vec<&EffectRow> {
    rows.iter().filter(|r| r.purchases > 0).collect()
}

pub mod sqlite {
    use super::*;
    use crate::store::sqlite::{map_err, SqliteStore};
    use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

    pub async fn insert_events(tx: &mut Transaction<'_, Sqlite>, events: &[NewEvent]) -> StoreResult<()> {
        for chunk in events.chunks(SqliteStore::BULK_ROWS * 2) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail, actor, campaign, meta) ",
            );
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
            b.build().execute(&mut **tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    pub async fn apply_effects(tx: &mut Transaction<'_, Sqlite>, rows: &[EffectRow]) -> StoreResult<()> {
        // UPDATE … FROM (VALUES …): SQLite names the VALUES columns column1, column2, …
        let set = set_forward("engagement", &MOVED, |i| format!("v.column{}", i + 2));
        for chunk in rows.chunks(SqliteStore::BULK_ROWS * 3) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(format!("UPDATE engagement SET {set} FROM ("));
            b.push_values(chunk, |mut v, r| {
                v.push_bind(r.id)
                    .push_bind(r.last_interaction)
                    .push_bind(r.last_signal)
                    .push_bind(r.last_open)
                    .push_bind(r.last_click);
            });
            b.push(") AS v WHERE engagement.contact_id = v.column1");
            b.build().execute(&mut **tx).await.map_err(map_err)?;
        }
        let set = set_forward("contacts", &["last_purchase_on"], |_| "v.column2".to_string());
        for chunk in purchases(rows).chunks(SqliteStore::BULK_ROWS * 3) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "UPDATE contacts SET {set}, purchase_count = contacts.purchase_count + v.column3 FROM ("
            ));
            b.push_values(chunk, |mut v, r| {
                v.push_bind(r.id).push_bind(r.last_purchase_on.clone()).push_bind(r.purchases);
            });
            b.push(") AS v WHERE contacts.id = v.column1");
            b.build().execute(&mut **tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    pub async fn existing_ids(pool: &SqlitePool, ids: &[i64]) -> StoreResult<Vec<i64>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(900) {
            let mut b: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id FROM contacts WHERE id IN (");
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
    use crate::store::postgres::map_err;
    use sqlx::{PgPool, Postgres, Row, Transaction};

    pub async fn insert_events(tx: &mut Transaction<'_, Postgres>, events: &[NewEvent]) -> StoreResult<()> {
        let col = |f: fn(&NewEvent) -> String| events.iter().map(f).collect::<Vec<String>>();
        sqlx::query(
            "INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail, actor, campaign, meta) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::boolean[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])",
        )
        .bind(events.iter().map(|e| e.contact_id).collect::<Vec<i64>>())
        .bind(col(|e| e.kind.as_str().to_string()))
        .bind(events.iter().map(|e| e.kind.is_interaction()).collect::<Vec<bool>>())
        .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<i64>>())
        .bind(col(|e| e.detail.clone()))
        .bind(col(|e| e.actor.clone()))
        .bind(col(|e| e.campaign.clone()))
        .bind(col(|e| e.meta.clone()))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub async fn apply_effects(tx: &mut Transaction<'_, Postgres>, rows: &[EffectRow]) -> StoreResult<()> {
        let set = set_forward("engagement", &MOVED, |i| ["v.li", "v.ls", "v.lo", "v.lc"][i].to_string());
        let opt = |f: fn(&EffectRow) -> Option<i64>| rows.iter().map(f).collect::<Vec<Option<i64>>>();
        sqlx::query(&format!(
            "UPDATE engagement SET {set} \
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) \
             AS v(id, li, ls, lo, lc) WHERE engagement.contact_id = v.id"
        ))
        .bind(rows.iter().map(|r| r.id).collect::<Vec<i64>>())
        .bind(opt(|r| r.last_interaction))
        .bind(opt(|r| r.last_signal))
        .bind(opt(|r| r.last_open))
        .bind(opt(|r| r.last_click))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        let bought = purchases(rows);
        if bought.is_empty() {
            return Ok(());
        }
        let set = set_forward("contacts", &["last_purchase_on"], |_| "v.lp".to_string());
        sqlx::query(&format!(
            "UPDATE contacts SET {set}, purchase_count = contacts.purchase_count + v.np \
             FROM UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS v(id, lp, np) WHERE contacts.id = v.id"
        ))
        .bind(bought.iter().map(|r| r.id).collect::<Vec<i64>>())
        .bind(bought.iter().map(|r| r.last_purchase_on.clone()).collect::<Vec<Option<String>>>())
        .bind(bought.iter().map(|r| r.purchases).collect::<Vec<i64>>())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub async fn existing_ids(pool: &PgPool, ids: &[i64]) -> StoreResult<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT id FROM contacts WHERE id = ANY($1)")
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

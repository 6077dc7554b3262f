//! Engagement: events, statuses, dashboard figures and bulk actions.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use crate::store::fold::Rare;
use app::engagement::{Attrition, BreakdownRow, MonthCounts};
use app::model::contact::ConsentEvidence;
use app::model::engagement::{EngagementStatus, Pool, StatusBounds};
use app::model::events::EventKind;
use app::model::{Contact, ContactId, ContactQuery, Timestamp};
use app::store::{EngagementStore, NewEvent, Snapshot, StoreResult};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// The status of `c` as a number (index in `EngagementStatus::ALL`). The
/// bounds are integers computed here, never user text.
fn status_case(b: &StatusBounds) -> String {
    let col = format!("e.{}", b.column);
    format!(
        "CAST(CASE WHEN {col} >= {} THEN 0 WHEN {col} >= {} THEN 1 WHEN {col} >= {} THEN 2 \
         WHEN {col} IS NOT NULL THEN 3 WHEN e.created_at >= {} THEN 4 ELSE 3 END AS BIGINT)",
        b.recent_from, b.engaged_from, b.disengaged_from, b.new_from
    )
}

/// What the rare, consequential events of a fold (unsubscribes, hard bounces,
/// complaints) do to each contact: the first of each wins.
#[derive(Default)]
struct Consequence {
    /// The first unsubscribing event: (at, kind, actor).
    unsubscribe: Option<(Timestamp, EventKind, String)>,
    suppress: Option<(Timestamp, EventKind)>,
}

fn consequences(events: &[Rare]) -> Vec<(ContactId, Consequence)> {
    let mut map: HashMap<ContactId, Consequence> = HashMap::new();
    for (id, kind, at, actor) in events {
        let fx = map.entry(*id).or_default();
        if kind.unsubscribes() && fx.unsubscribe.as_ref().is_none_or(|u| u.0 > *at) {
            fx.unsubscribe = Some((*at, *kind, actor.clone()));
        }
        if kind.suppresses() && fx.suppress.is_none_or(|s| s.0 > *at) {
            fx.suppress = Some((*at, *kind));
        }
    }
    let mut fx: Vec<(ContactId, Consequence)> = map.into_iter().collect();
    fx.sort_unstable_by_key(|(id, _)| *id); // a stable lock order across writers
    fx
}

/// Applies the consequences of a fold's rare events.
async fn apply_rare<'c>(tx: &mut sqlx::Transaction<'c, Db>, events: &[Rare]) -> StoreResult<()> {
    for (id, fx) in consequences(events) {
        if let Some((at, kind, actor)) = &fx.unsubscribe {
            end_subscriptions(tx, &[id], &unsubscribe_evidence(*at, *kind, actor)).await?;
        }
        if let Some((at, kind)) = fx.suppress {
            sqlx::query("UPDATE engagement SET suppressed_at = $1, suppression_reason = $2 WHERE contact_id = $3 AND suppressed_at IS NULL")
                .bind(at)
                .bind(kind.as_str())
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
        }
    }
    Ok(())
}

fn unsubscribe_evidence(at: app::model::Timestamp, kind: EventKind, actor: &str) -> ConsentEvidence {
    ConsentEvidence {
        at,
        channel: "events".into(),
        form: actor.to_string(),
        text: format!("Subscription ended by a {} event.", kind.as_str().replace('_', " ")),
    }
}

#[async_trait::async_trait]
impl EngagementStore for DbStore {
    async fn contact_ids_by_email(&self, emails: &[String]) -> StoreResult<HashMap<String, ContactId>> {
        fold::ids_by_email(&self.pool, emails).await
    }

    async fn existing_contact_ids(&self, ids: &[ContactId]) -> StoreResult<Vec<ContactId>> {
        fold::existing_ids(&self.pool, ids).await
    }

    #[tracing::instrument(skip_all, fields(events = events.len()))]
    async fn queue_events(&self, events: &[NewEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        fold::queue(self, events).await
    }

    async fn queue_events_marked(&self, events: &[NewEvent], mark: &str, from: i64, through: i64) -> StoreResult<()> {
        fold::queue_marked(self, events, mark, from, through).await
    }

    async fn inbox_mark(&self, mark: &str) -> StoreResult<Option<i64>> {
        fold::inbox_mark(self, mark).await
    }

    #[tracing::instrument(skip_all, fields(folded))]
    async fn fold_events(&self, limit: i64) -> StoreResult<u64> {
        let started = std::time::Instant::now();
        let Some(mut tx) = fold::begin_fold(self).await? else {
            return Ok(0);
        };
        let (folded, rare) = fold::fold(&mut tx, limit).await?;
        if folded == 0 {
            tx.commit().await.map_err(map_err)?;
            return Ok(0);
        }
        apply_rare(&mut tx, &rare).await?;
        let applied = started.elapsed();
        tx.commit().await.map_err(map_err)?;
        let committed = started.elapsed();
        fold::after_fold(self).await?;
        tracing::Span::current().record("folded", folded);
        tracing::debug!(
            folded,
            apply_ms = applied.as_millis() as u64,
            commit_ms = (committed - applied).as_millis() as u64,
            cleanup_ms = (started.elapsed() - committed).as_millis() as u64,
            "events folded"
        );
        Ok(folded)
    }

    async fn pending_events(&self) -> StoreResult<i64> {
        fold::pending(self).await
    }

    #[tracing::instrument(skip_all)]
    async fn engagement_breakdown(
        &self,
        bounds: &StatusBounds,
        idle_from: app::model::Timestamp,
    ) -> StoreResult<Vec<BreakdownRow>> {
        let col = format!("e.{}", bounds.column);
        let sql = format!(
            "SELECT e.channel, e.source, {status} AS status, COUNT(*) AS contacts, \
             SUM(CASE WHEN {col} IS NULL AND e.created_at < {new_from} THEN 1 ELSE 0 END) AS never_engaged, \
             SUM(CASE WHEN e.last_open_at IS NULL THEN 1 ELSE 0 END) AS never_opened, \
             SUM(CASE WHEN e.last_click_at IS NULL THEN 1 ELSE 0 END) AS never_clicked, \
             SUM(CASE WHEN {col} < {idle_from} OR ({col} IS NULL AND e.created_at < {idle_from}) THEN 1 ELSE 0 END) AS idle, \
             SUM(CASE WHEN e.suppression_reason = 'hard_bounce' THEN 1 ELSE 0 END) AS hard_bounces, \
             SUM(CASE WHEN e.suppression_reason = 'complaint' THEN 1 ELSE 0 END) AS complaints, \
             SUM(CASE WHEN e.suppressed_at IS NOT NULL THEN 1 ELSE 0 END) AS suppressed, \
             SUM(CASE WHEN e.pool = 'inactive' THEN 1 ELSE 0 END) AS pooled \
             FROM engagement e GROUP BY 1, 2, 3",
            status = status_case(bounds),
            new_from = bounds.new_from,
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let status: i64 = r.try_get("status").map_err(map_err)?;
                let n = |name: &str| r.try_get::<Option<i64>, _>(name).map(|v| v.unwrap_or(0)).map_err(map_err);
                Ok(BreakdownRow {
                    channel: r.try_get("channel").map_err(map_err)?,
                    source: r.try_get("source").map_err(map_err)?,
                    status: EngagementStatus::ALL[status.clamp(0, 4) as usize],
                    contacts: n("contacts")?,
                    never_engaged: n("never_engaged")?,
                    never_opened: n("never_opened")?,
                    never_clicked: n("never_clicked")?,
                    idle: n("idle")?,
                    hard_bounces: n("hard_bounces")?,
                    complaints: n("complaints")?,
                    suppressed: n("suppressed")?,
                    pooled: n("pooled")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn attrition(
        &self,
        bounds: &StatusBounds,
        start: app::model::Timestamp,
        now: app::model::Timestamp,
        inactive_after: i64,
        new_for: i64,
    ) -> StoreResult<Attrition> {
        let col = format!("e.{}", bounds.column);
        // One category per contact, in this order: bounced, unsubscribed, gone inactive.
        let sql = format!(
            "SELECT CAST(CASE \
               WHEN e.suppressed_at >= {start} AND e.suppression_reason = 'hard_bounce' THEN 1 \
               WHEN e.suppressed_at >= {start} THEN 2 \
               WHEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = e.contact_id AND s.state = 'unsubscribed' AND s.consent_at >= {start}) \
                 AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = e.contact_id AND s.state = 'subscribed') THEN 2 \
               WHEN {col} >= {gone_from} AND {col} < {gone_to} THEN 3 \
               WHEN {col} IS NULL AND e.created_at >= {new_gone_from} AND e.created_at < {new_gone_to} THEN 3 \
               ELSE 0 END AS BIGINT) AS lost, COUNT(*) AS contacts \
             FROM engagement e WHERE e.created_at < {start} GROUP BY 1",
            gone_from = start - inactive_after,
            gone_to = now - inactive_after,
            new_gone_from = start - new_for,
            new_gone_to = now - new_for,
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
        let mut a = Attrition::default();
        for r in rows {
            let (lost, n): (i64, i64) = (r.get(0), r.get(1));
            a.base += n;
            match lost {
                1 => a.bounced += n,
                2 => a.unsubscribed += n,
                3 => a.gone_inactive += n,
                _ => {}
            }
        }
        Ok(a)
    }

    async fn snapshot(&self, name: &str) -> StoreResult<Option<Snapshot>> {
        let row = sqlx::query("SELECT taken_at, body FROM snapshots WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| Snapshot { taken_at: r.get(0), body: r.get(1) }))
    }

    async fn put_snapshot(&self, name: &str, taken_at: app::model::Timestamp, body: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO snapshots (name, taken_at, body) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET taken_at = excluded.taken_at, body = excluded.body",
        )
        .bind(name)
        .bind(taken_at)
        .bind(body)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn engagement_months(&self, from: &str) -> StoreResult<Vec<MonthCounts>> {
        let rows = sqlx::query("SELECT * FROM engagement_months WHERE month >= $1 ORDER BY month")
            .bind(from)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(rows::month).collect()
    }

    async fn put_engagement_month(&self, m: &MonthCounts, now: app::model::Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO engagement_months (month, recent, engaged, disengaged, inactive, new, taken_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (month) DO UPDATE SET recent = excluded.recent, \
             engaged = excluded.engaged, disengaged = excluded.disengaged, inactive = excluded.inactive, \
             new = excluded.new, taken_at = excluded.taken_at",
        )
        .bind(&m.month)
        .bind(m.counts[0])
        .bind(m.counts[1])
        .bind(m.counts[2])
        .bind(m.counts[3])
        .bind(m.counts[4])
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn contact_ids_matching(
        &self,
        query: &ContactQuery,
        bounds: &StatusBounds,
        after_id: ContactId,
        limit: i64,
    ) -> StoreResult<Vec<ContactId>> {
        let mut b: QueryBuilder<Db> =
            QueryBuilder::new("SELECT c.id FROM contacts c JOIN engagement e ON e.contact_id = c.id");
        contact_filters(&mut b, query, bounds);
        b.push(" AND c.id > ").push_bind(after_id).push(" ORDER BY c.id LIMIT ").push_bind(limit);
        let rows = b.build().fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn count_matching(&self, query: &ContactQuery, bounds: &StatusBounds) -> StoreResult<i64> {
        let mut b: QueryBuilder<Db> =
            QueryBuilder::new("SELECT COUNT(*) FROM contacts c JOIN engagement e ON e.contact_id = c.id");
        contact_filters(&mut b, query, bounds);
        Ok(b.build().fetch_one(&self.pool).await.map_err(map_err)?.get(0))
    }

    async fn set_pool(
        &self,
        ids: &[ContactId],
        pool: Pool,
        now: app::model::Timestamp,
        actor: &str,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut moved = Vec::new();
        for chunk in ids.chunks(900) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new("UPDATE engagement SET pool = ");
            b.push_bind(pool.as_str()).push(" WHERE pool <> ").push_bind(pool.as_str()).push(" AND contact_id IN ");
            id_list(&mut b, chunk);
            b.push(" RETURNING contact_id");
            moved
                .extend(b.build().fetch_all(&mut *tx).await.map_err(map_err)?.iter().map(|r| r.get::<ContactId, _>(0)));
        }
        let detail = match pool {
            Pool::Inactive => "Moved to the inactive pool",
            Pool::Main => "Moved back to the main pool",
        };
        timeline_rows(&mut tx, &moved, "pool", now, detail, actor).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(moved.len() as u64)
    }

    async fn suppress_contacts(
        &self,
        ids: &[ContactId],
        reason: &str,
        consent: &ConsentEvidence,
        actor: &str,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut newly = Vec::new();
        for chunk in ids.chunks(900) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new("UPDATE engagement SET suppressed_at = ");
            b.push_bind(consent.at)
                .push(", suppression_reason = ")
                .push_bind(reason)
                .push(" WHERE suppressed_at IS NULL AND contact_id IN ");
            id_list(&mut b, chunk);
            b.push(" RETURNING contact_id");
            newly
                .extend(b.build().fetch_all(&mut *tx).await.map_err(map_err)?.iter().map(|r| r.get::<ContactId, _>(0)));
        }
        end_subscriptions(&mut tx, ids, consent).await?;
        timeline_rows(&mut tx, &newly, "suppressed", consent.at, &consent.text, actor).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(newly.len() as u64)
    }

    async fn contacts_by_ids(&self, ids: &[ContactId]) -> StoreResult<Vec<Contact>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(900) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(format!("{SELECT_CONTACT} WHERE c.id IN "));
            id_list(&mut b, chunk);
            b.push(" ORDER BY c.id");
            for row in b.build().fetch_all(&self.pool).await.map_err(map_err)? {
                out.push(rows::contact(&row)?);
            }
        }
        Ok(out)
    }
}

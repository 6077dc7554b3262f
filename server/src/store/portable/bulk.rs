//! Bulk loads (seeding, large imports): many contacts with their engagement, subscriptions
//! and timelines in a few multi-row statements, and the secondary indexes dropped before
//! and built once after.

use super::*;
use crate::store::values::BulkEngagement;
use app::store::{BulkActivity, BulkContact, StoreResult};
use sqlx::QueryBuilder;

/// Secondary indexes a bulk load drops and rebuilds. The definitions are the
/// migrations' own (same text in both dialects); unique constraints stay.
const BULK_INDEXES: [(&str, &str); 12] = [
    // First the two a live system looks up by while it loads (partners' checks, an
    // import's own known addresses): a load into a running system keeps them.
    ("contacts_email_md5", "contacts (email_md5)"),
    ("contacts_email_sha256", "contacts (email_sha256)"),
    ("contacts_search", "contacts (search)"),
    ("contacts_created", "contacts (created_at, id)"),
    ("contacts_updated", "contacts (updated_at, id)"),
    ("contacts_sort_name", "contacts (sort_name, id)"),
    ("contacts_channel_created", "contacts (channel, created_at, id)"),
    ("subscriptions_newsletter_state", "subscriptions (newsletter_id, state, contact_id)"),
    ("activities_contact", "activities (contact_id, occurred_at)"),
    ("engagement_activity", "engagement (last_interaction_at, created_at)"),
    ("engagement_signal", "engagement (last_signal_at, created_at)"),
    // Partial: the few suppressed contacts only, so that the many updates of the
    // other rows (PostgreSQL writes every index of a row it moves) skip it.
    ("engagement_suppressed", "engagement (suppression_reason, suppressed_at) WHERE suppression_reason IS NOT NULL"),
];

impl DbStore {
    pub(super) async fn insert_bulk(&self, batch: &[BulkContact]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let rows: Vec<(&app::model::ContactFields, app::model::Timestamp, i64)> =
            batch.iter().map(|c| (&c.fields, c.created_at, c.purchase_count)).collect();
        let ids = Self::insert_contacts(&mut tx, &rows).await?;
        // Engagement rows exist (a trigger adds them); fill in what the timelines say.
        let engaged: Vec<(app::model::ContactId, &BulkContact, BulkEngagement)> = batch
            .iter()
            .filter_map(|c| ids.get(c.fields.email.as_str()).map(|id| (*id, c)))
            .filter(|(_, c)| !c.activities.is_empty())
            .map(|(id, c)| (id, c, BulkEngagement::of(&c.activities)))
            .collect();
        for chunk in engaged.chunks(Self::BULK_ROWS * 3) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO engagement (contact_id, created_at, channel, source, last_interaction_at, last_signal_at, \
                   last_open_at, last_click_at, suppressed_at, suppression_reason) ",
            );
            b.push_values(chunk, |mut v, (id, c, e)| {
                v.push_bind(*id)
                    .push_bind(c.created_at)
                    .push_bind(c.fields.channel.as_str())
                    .push_bind(&c.fields.source_detail)
                    .push_bind(e.last_interaction_at)
                    .push_bind(e.last_signal_at)
                    .push_bind(e.last_open_at)
                    .push_bind(e.last_click_at)
                    .push_bind(e.suppressed.map(|(at, _)| at))
                    .push_bind(e.suppressed.map(|(_, reason)| reason));
            });
            b.push(
                " ON CONFLICT (contact_id) DO UPDATE SET last_interaction_at = excluded.last_interaction_at, \
                 last_signal_at = excluded.last_signal_at, last_open_at = excluded.last_open_at, \
                 last_click_at = excluded.last_click_at, suppressed_at = excluded.suppressed_at, \
                 suppression_reason = excluded.suppression_reason",
            );
            b.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        let subs: Vec<(app::model::ContactId, &app::store::BulkSubscription)> = batch
            .iter()
            .filter_map(|c| ids.get(c.fields.email.as_str()).map(|id| (*id, c)))
            .flat_map(|(id, c)| c.subscriptions.iter().map(move |s| (id, s)))
            .collect();
        for chunk in subs.chunks(Self::BULK_ROWS * 3) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO subscriptions (contact_id, newsletter_id, state, consent_at, consent_channel, consent_form, consent_text) ",
            );
            b.push_values(chunk, |mut v, (id, s)| {
                v.push_bind(*id)
                    .push_bind(s.newsletter_id)
                    .push_bind(s.state.as_str())
                    .push_bind(s.consent.at)
                    .push_bind(&s.consent.channel)
                    .push_bind(&s.consent.form)
                    .push_bind(&s.consent.text);
            });
            b.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        let acts: Vec<(app::model::ContactId, &BulkActivity)> = batch
            .iter()
            .filter_map(|c| ids.get(c.fields.email.as_str()).map(|id| (*id, c)))
            .flat_map(|(id, c)| c.activities.iter().map(move |a| (id, a)))
            .collect();
        for chunk in acts.chunks(Self::BULK_ROWS * 4) {
            let mut b: QueryBuilder<Db> =
                QueryBuilder::new("INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail) ");
            b.push_values(chunk, |mut v, (id, a)| {
                v.push_bind(*id)
                    .push_bind(a.kind.as_str())
                    .push_bind(a.kind.is_interaction())
                    .push_bind(a.at)
                    .push_bind(&a.detail);
            });
            b.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(ids.len() as u64)
    }

    /// Big loads build secondary indexes once at the end (see `Store::begin_bulk_load`).
    pub(super) async fn drop_bulk_indexes(&self, live: bool) -> StoreResult<()> {
        for (name, _) in &BULK_INDEXES[if live { 2 } else { 0 }..] {
            sqlx::query(&format!("DROP INDEX IF EXISTS {name}")).execute(&self.pool).await.map_err(map_err)?;
        }
        Ok(())
    }

    pub(super) async fn create_missing_indexes(&self) -> StoreResult<()> {
        // Only the missing ones: even for an index that exists, PostgreSQL's
        // CREATE INDEX IF NOT EXISTS first waits for a lock on the table, that is
        // for every write under way there. All on one connection, closed after: each
        // build fills the page cache of the connection it runs on, and a pool hands
        // out its connections in turn.
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let mut built = false;
        for (name, definition) in BULK_INDEXES {
            let exists: i64 =
                sqlx::query_scalar(DbStore::INDEX_EXISTS).bind(name).fetch_one(&mut *conn).await.map_err(map_err)?;
            if exists == 0 {
                sqlx::query(&format!("CREATE INDEX {name} ON {definition}"))
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err)?;
                built = true;
            }
        }
        if built {
            conn.close().await.map_err(map_err)?;
        }
        Ok(())
    }
}

//! Bulk loads (seeding, large imports): many contacts with their engagement, subscriptions
//! and timelines in a few multi-row statements, and the secondary indexes dropped before
//! and built once after.

use super::*;
use crate::store::values::{custom_json, interests_text, iso_date, BulkEngagement};
use app::store::{BulkActivity, BulkContact, StoreResult};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

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
    /// Inserts contacts in multi-row statements, each created at its instant with its
    /// purchase count; an address already there is skipped. Returns the new ids by address.
    /// (What SQLite's `insert_contacts` does; PostgreSQL's uses COPY.)
    pub(crate) async fn insert_contact_rows(
        tx: &mut sqlx::Transaction<'static, Db>,
        rows: &[(&app::model::ContactFields, app::model::Timestamp, i64)],
    ) -> StoreResult<HashMap<String, app::model::ContactId>> {
        let mut ids = HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(Self::BULK_ROWS) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO contacts (email, email_md5, email_sha256, first_name, last_name, phone, birth_date, \
                   job_title, company, address_line1, address_line2, postal_code, city, country, interests, \
                   last_purchase_on, total_spent_cents, purchase_count, custom, channel, source_detail, sort_name, \
                   search, created_at, updated_at) ",
            );
            b.push_values(chunk, |mut v, (f, at, purchases)| {
                v.push_bind(f.email.as_str())
                    .push_bind(f.email.md5_hex())
                    .push_bind(f.email.sha256_hex())
                    .push_bind(&f.first_name)
                    .push_bind(&f.last_name)
                    .push_bind(&f.phone)
                    .push_bind(iso_date(f.birth_date))
                    .push_bind(&f.job_title)
                    .push_bind(&f.company)
                    .push_bind(&f.address_line1)
                    .push_bind(&f.address_line2)
                    .push_bind(&f.postal_code)
                    .push_bind(&f.city)
                    .push_bind(&f.country)
                    .push_bind(interests_text(f))
                    .push_bind(iso_date(f.last_purchase_on))
                    .push_bind(f.total_spent_cents)
                    .push_bind(*purchases)
                    .push_bind(custom_json(f))
                    .push_bind(f.channel.as_str())
                    .push_bind(&f.source_detail)
                    .push_bind(f.sort_name())
                    .push_bind(f.search_text())
                    .push_bind(*at)
                    .push_bind(*at);
            });
            b.push(" ON CONFLICT (email) DO NOTHING RETURNING id, email");
            for row in b.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                ids.insert(row.get(1), row.get(0));
            }
        }
        Ok(ids)
    }

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
        // for every write under way there.
        for (name, definition) in BULK_INDEXES {
            let exists: i64 =
                sqlx::query_scalar(DbStore::INDEX_EXISTS).bind(name).fetch_one(&self.pool).await.map_err(map_err)?;
            if exists == 0 {
                sqlx::query(&format!("CREATE INDEX {name} ON {definition}"))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
            }
        }
        Ok(())
    }
}

//! Self-service: personal links, erasure, pauses, the preferred channel and the
//! yearly refresh.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::store::{LinkRecord, PausedSubscription, SelfServiceStore, StoreResult};
use sqlx::Row;

#[async_trait::async_trait]
impl SelfServiceStore for DbStore {
    async fn create_link(
        &self,
        contact_id: app::model::ContactId,
        purpose: &str,
        token_hash: &str,
        now: app::model::Timestamp,
        expires_at: app::model::Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO contact_links (contact_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(contact_id)
            .bind(purpose)
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn use_link(
        &self,
        token_hash: &str,
        purpose: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<Option<app::model::ContactId>> {
        // One statement: two clicks at once cannot both use it.
        let row = sqlx::query(
            "UPDATE contact_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING contact_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    #[tracing::instrument(skip(self, phone_sha256))]
    async fn erase_contact(
        &self,
        id: app::model::ContactId,
        phone_sha256: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Sign-ups of the person (confirmed, or pending for this address), and the
        // confirmation mails sent to the address (they hold it, and a working link).
        sqlx::query("DELETE FROM signups WHERE contact_id = $1 OR email = (SELECT email FROM contacts WHERE id = $1)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "DELETE FROM outbox WHERE contact_id IS NULL AND kind = 'signup_confirmation' \
             AND to_address = (SELECT email FROM contacts WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let erased = sqlx::query(
            "UPDATE contacts SET email = 'erased-' || CAST(id AS TEXT) || '@erased.invalid', first_name = '', \
             last_name = '', phone = '', birth_date = NULL, job_title = '', company = '', address_line1 = '', \
             address_line2 = '', postal_code = '', city = '', country = '', interests = '', last_purchase_on = NULL, \
             total_spent_cents = 0, custom = '{}', source_detail = '', sort_name = '', search = '', \
             phone_sha256 = $1, erased_at = $2, updated_at = $2 WHERE id = $3 AND erased_at IS NULL",
        )
        .bind(phone_sha256)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if erased.rows_affected() == 0 {
            return Err(app::store::StoreError::NotFound);
        }
        // Every statement takes the same two parameters: the contact and now.
        let statements: [&str; 6] = [
            "UPDATE subscriptions SET state = 'unsubscribed', consent_at = $2, consent_channel = 'self-service', \
             consent_form = 'profile page (/me)', consent_text = 'Erased at the person''s request' \
             WHERE contact_id = $1 AND state <> 'unsubscribed' AND $2 > 0",
            "DELETE FROM activities WHERE contact_id = $1 AND $2 > 0",
            "INSERT INTO activities (contact_id, kind, interaction, occurred_at, detail, actor) \
             VALUES ($1, 'erased', FALSE, $2, 'Personal data erased at the person''s request', 'the contact')",
            "UPDATE engagement SET suppressed_at = COALESCE(suppressed_at, $2), suppression_reason = 'erased' WHERE contact_id = $1",
            "DELETE FROM contact_links WHERE contact_id = $1 AND $2 > 0",
            "DELETE FROM outbox WHERE contact_id = $1 AND $2 > 0",
        ];
        for statement in statements {
            sqlx::query(statement).bind(id).bind(now).execute(&mut *tx).await.map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn pause_subscription(
        &self,
        contact_id: app::model::ContactId,
        newsletter_id: app::model::NewsletterId,
        until: Option<app::model::Timestamp>,
        consent: &app::model::contact::ConsentEvidence,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET paused_until = $1, consent_at = $2, consent_channel = $3, consent_form = $4, \
             consent_text = $5 WHERE contact_id = $6 AND newsletter_id = $7 AND state = 'subscribed'",
        )
        .bind(until)
        .bind(consent.at)
        .bind(&consent.channel)
        .bind(&consent.form)
        .bind(&consent.text)
        .bind(contact_id)
        .bind(newsletter_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn paused_subscriptions(&self, contact_id: app::model::ContactId) -> StoreResult<Vec<PausedSubscription>> {
        let rows = sqlx::query(
            "SELECT newsletter_id, paused_until FROM subscriptions WHERE contact_id = $1 AND paused_until IS NOT NULL",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(|r| PausedSubscription { newsletter_id: r.get(0), until: r.get(1) }).collect())
    }

    async fn preferred_channel(&self, contact_id: app::model::ContactId) -> StoreResult<String> {
        let row = sqlx::query("SELECT preferred_channel FROM contacts WHERE id = $1")
            .bind(contact_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| r.get(0)).ok_or(app::store::StoreError::NotFound)
    }

    async fn set_preferred_channel(
        &self,
        contact_id: app::model::ContactId,
        channel: &str,
        words: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE contacts SET preferred_channel = $1, updated_at = $2 WHERE id = $3 AND erased_at IS NULL",
        )
        .bind(channel)
        .bind(now)
        .bind(contact_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            // Deleted or erased meanwhile: nothing goes on its timeline.
            return Err(app::store::StoreError::NotFound);
        }
        let detail = format!("Prefers {}: “{words}” (profile page)", channel.to_uppercase());
        add_activity(&mut tx, contact_id, "preference", now, &detail, "the contact (profile page)").await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn contacts_to_refresh(
        &self,
        updated_before: app::model::Timestamp,
        no_link_since: app::model::Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<app::model::ContactId>> {
        let rows = sqlx::query(
            "SELECT c.id FROM contacts c JOIN engagement e ON e.contact_id = c.id \
             WHERE c.updated_at < $1 AND c.erased_at IS NULL AND e.suppressed_at IS NULL \
             AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id AND s.state = 'subscribed') \
             AND NOT EXISTS (SELECT 1 FROM contact_links l WHERE l.contact_id = c.id AND l.created_at >= $2) \
             ORDER BY c.updated_at, c.id LIMIT $3",
        )
        .bind(updated_before)
        .bind(no_link_since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn link(&self, token_hash: &str, purpose: &str) -> StoreResult<Option<LinkRecord>> {
        let row = sqlx::query(
            "SELECT contact_id, expires_at, used_at FROM contact_links WHERE token_hash = $1 AND purpose = $2",
        )
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.map(|r| LinkRecord { contact_id: r.get(0), expires_at: r.get(1), used_at: r.get(2) }))
    }
}

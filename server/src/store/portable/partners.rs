//! Partners, their keys, leads, usage and the suppression lists.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::partners::{ApiKeyRecord, AuditEntry, Partner, UsageDay};
use app::store::{KeyClaim, PartnerLead, PartnerStore, StoreResult};
use sqlx::{QueryBuilder, Row};

impl DbStore {
    /// Which of `hashes` appear in `column` (email_md5 or email_sha256) of a contact or
    /// in the imported suppression list: two indexed `IN` probes per chunk.
    async fn known_hashes(&self, column: &'static str, hashes: &[String]) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for chunk in hashes.chunks(DbStore::TEXTS_IN / 2) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(format!("SELECT {column} FROM contacts WHERE "));
            texts_in(&mut b, column, chunk);
            b.push(" UNION SELECT hash FROM suppression_hashes WHERE ");
            texts_in(&mut b, "hash", chunk);
            for row in b.build().fetch_all(&self.pool).await.map_err(map_err)? {
                found.push(row.get(0));
            }
        }
        Ok(found)
    }
}

#[async_trait::async_trait]
impl PartnerStore for DbStore {
    #[tracing::instrument(skip(self, contact_email))]
    async fn create_partner(
        &self,
        name: &str,
        contact_email: &str,
        price_cents: i64,
        daily_quota: i64,
        own: bool,
        now: app::model::Timestamp,
    ) -> StoreResult<app::model::PartnerId> {
        let row = sqlx::query(
            "INSERT INTO partners (name, contact_email, price_cents, daily_quota, own, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(contact_email)
        .bind(price_cents)
        .bind(daily_quota)
        .bind(own)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn partner(&self, id: app::model::PartnerId) -> StoreResult<Option<Partner>> {
        let row = sqlx::query("SELECT * FROM partners WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::partner).transpose()
    }

    async fn partners(&self) -> StoreResult<Vec<Partner>> {
        let list = sqlx::query("SELECT * FROM partners ORDER BY name").fetch_all(&self.pool).await.map_err(map_err)?;
        list.iter().map(rows::partner).collect()
    }

    #[tracing::instrument(skip_all, fields(partner_id = %key.partner_id))]
    async fn create_api_key(&self, key: &app::store::NewApiKey<'_>) -> StoreResult<app::model::ApiKeyId> {
        let row = sqlx::query(
            "INSERT INTO api_keys (partner_id, key_hash, prefix, scopes, event_kinds, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(key.partner_id)
        .bind(key.key_hash)
        .bind(key.prefix)
        .bind(key.scopes)
        .bind(key.event_kinds)
        .bind(key.created_at)
        .bind(key.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row = sqlx::query("SELECT k.*, CAST(0 AS BIGINT) AS requests_today FROM api_keys k WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn api_keys(&self, partner_id: app::model::PartnerId) -> StoreResult<Vec<ApiKeyRecord>> {
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let list = sqlx::query(
            "SELECT k.*, COALESCE(u.requests, 0) AS requests_today FROM api_keys k \
             LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.day = $2 \
             WHERE k.partner_id = $1 ORDER BY k.created_at DESC, k.id DESC",
        )
        .bind(partner_id)
        .bind(today)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        list.iter().map(rows::api_key).collect()
    }

    async fn revoke_api_key(&self, id: app::model::ApiKeyId, now: app::model::Timestamp) -> StoreResult<()> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected())
    }

    async fn touch_api_key(&self, id: app::model::ApiKeyId, now: app::model::Timestamp) -> StoreResult<()> {
        // At most one write a second per key: last use is for people, not billing.
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn add_key_requests(&self, key_id: app::model::ApiKeyId, day: &str, requests: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_key_usage (key_id, day, requests) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id, day) DO UPDATE SET requests = api_key_usage.requests + excluded.requests",
        )
        .bind(key_id)
        .bind(day)
        .bind(requests)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn add_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        sqlx::query("INSERT INTO audit_log (at, actor, action, partner_id, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(entry.at)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(entry.partner_id)
            .bind(&entry.detail)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn audit_entries(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let list = sqlx::query("SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        list.iter().map(rows::audit_entry).collect()
    }

    async fn add_partner_usage(
        &self,
        partner_id: app::model::PartnerId,
        day: &str,
        checks: i64,
        hits: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO partner_usage (partner_id, day, checks, hits) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (partner_id, day) DO UPDATE SET checks = partner_usage.checks + excluded.checks, \
               hits = partner_usage.hits + excluded.hits",
        )
        .bind(partner_id)
        .bind(day)
        .bind(checks)
        .bind(hits)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn partner_checks_on(&self, partner_id: app::model::PartnerId, day: &str) -> StoreResult<i64> {
        let row = sqlx::query("SELECT checks FROM partner_usage WHERE partner_id = $1 AND day = $2")
            .bind(partner_id)
            .bind(day)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| r.get(0)).unwrap_or(0))
    }

    #[tracing::instrument(skip_all, fields(partner_id = %lead.partner_id))]
    async fn insert_partner_lead(&self, lead: &PartnerLead) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        // Known by its hash too: an erased person's address is gone but its hashes stay,
        // and such a person is never bought again (nor billed for); nor is anyone on
        // the suppression list the brand imported.
        let known = sqlx::query("SELECT 1 FROM contacts WHERE email_sha256 = $1")
            .bind(lead.fields.email.sha256_hex())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        if known.is_some() || on_suppression_list(&mut tx, &lead.fields.email).await? {
            return Err(app::store::StoreError::Conflict { constraint: "contacts_email_key".into() });
        }
        let sql = insert_contact_sql("");
        let query = sqlx::query(&sql);
        let contact_id: app::model::ContactId =
            bind_contact(query, &lead.fields).bind(lead.now).fetch_one(&mut *tx).await.map_err(map_err)?.get(0);
        let detail = format!("Created (Partner: {})", lead.fields.source_detail);
        add_activity(&mut tx, contact_id, "created", lead.now, &detail, &lead.actor).await?;
        for app::store::Consented { newsletter_id, consent } in &lead.subscriptions {
            sqlx::query(
                "INSERT INTO subscriptions (contact_id, newsletter_id, state, consent_at, consent_channel, consent_form, consent_text) \
                 VALUES ($1, $2, 'subscribed', $3, $4, $5, $6)",
            )
            .bind(contact_id)
            .bind(newsletter_id)
            .bind(consent.at)
            .bind(&consent.channel)
            .bind(&consent.form)
            .bind(&consent.text)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        let lead_id: i64 = sqlx::query(
            "INSERT INTO partner_leads (partner_id, contact_id, price_cents, day, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(lead.partner_id)
        .bind(contact_id)
        .bind(lead.price_cents)
        .bind(&lead.day)
        .bind(lead.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?
        .get(0);
        sqlx::query(
            "INSERT INTO partner_usage (partner_id, day, accepted, billed_cents) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (partner_id, day) DO UPDATE SET accepted = partner_usage.accepted + 1, \
               billed_cents = partner_usage.billed_cents + excluded.billed_cents",
        )
        .bind(lead.partner_id)
        .bind(&lead.day)
        .bind(lead.price_cents)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(lead_id)
    }

    async fn count_lead_refusal(
        &self,
        partner_id: app::model::PartnerId,
        day: &str,
        duplicate: bool,
    ) -> StoreResult<()> {
        let (duplicates, invalid) = if duplicate { (1i64, 0i64) } else { (0, 1) };
        sqlx::query(
            "INSERT INTO partner_usage (partner_id, day, duplicates, invalid) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (partner_id, day) DO UPDATE SET duplicates = partner_usage.duplicates + excluded.duplicates, \
               invalid = partner_usage.invalid + excluded.invalid",
        )
        .bind(partner_id)
        .bind(day)
        .bind(duplicates)
        .bind(invalid)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn partner_usage(
        &self,
        partner_id: app::model::PartnerId,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<UsageDay>> {
        let list =
            sqlx::query("SELECT * FROM partner_usage WHERE partner_id = $1 AND day >= $2 AND day <= $3 ORDER BY day")
                .bind(partner_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        list.iter().map(rows::usage_day).collect()
    }

    async fn claim_idempotency_key(
        &self,
        partner_id: app::model::PartnerId,
        key: &str,
        request: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<KeyClaim> {
        idempotency::claim(self, partner_id, key, request, now).await
    }

    async fn claim_shop_order(
        &self,
        partner_id: app::model::PartnerId,
        order_id: &str,
        contact_id: app::model::ContactId,
        now: app::model::Timestamp,
    ) -> StoreResult<bool> {
        let written = sqlx::query(
            "INSERT INTO shop_orders (partner_id, order_id, contact_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (partner_id, order_id) DO NOTHING",
        )
        .bind(partner_id)
        .bind(order_id)
        .bind(contact_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(written.rows_affected() == 1)
    }

    async fn release_shop_orders(&self, partner_id: app::model::PartnerId, order_ids: &[String]) -> StoreResult<()> {
        for chunk in order_ids.chunks(500) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new("DELETE FROM shop_orders WHERE partner_id = ");
            b.push_bind(partner_id);
            b.push(" AND ");
            texts_in(&mut b, "order_id", chunk);
            b.build().execute(&self.pool).await.map_err(map_err)?;
        }
        Ok(())
    }

    async fn release_idempotency_key(&self, partner_id: app::model::PartnerId, key: &str) -> StoreResult<()> {
        idempotency::release(self, partner_id, key).await
    }

    async fn save_idempotent_response(
        &self,
        partner_id: app::model::PartnerId,
        key: &str,
        answer: &app::store::StoredAnswer,
        now: app::model::Timestamp,
    ) -> StoreResult<()> {
        idempotency::save(self, partner_id, key, answer, now).await
    }

    async fn export_hashes(
        &self,
        sha256: bool,
        since: Option<app::model::Timestamp>,
        out: &tokio::sync::mpsc::Sender<Vec<String>>,
    ) -> StoreResult<()> {
        let since = since.unwrap_or(app::model::Timestamp::MIN);
        let column = if sha256 { "email_sha256" } else { "email_md5" };
        let sql =
            format!("SELECT id, {column} FROM contacts WHERE id > $1 AND updated_at >= $2 ORDER BY id LIMIT 10000");
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&sql).bind(after).bind(since).fetch_all(&self.pool).await.map_err(map_err)?;
            let Some(last) = rows.last() else { break };
            after = last.get(0);
            let batch: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
            if out.send(batch).await.is_err() {
                return Ok(());
            }
        }
        // Then the imported suppression list's hashes of that kind (an address imported
        // there has both; a list of MD5s only MD5s), by hash. One may also be a
        // contact's: the list is a set to the partner, and a repeat costs nothing.
        let length = if sha256 { 64 } else { 32 };
        let mut after = String::new();
        loop {
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT hash FROM suppression_hashes WHERE hash > $1 AND LENGTH(hash) = $2 AND created_at >= $3 \
                 ORDER BY hash LIMIT 10000",
            )
            .bind(&after)
            .bind(length)
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.clone();
            if out.send(rows).await.is_err() {
                return Ok(());
            }
        }
    }

    async fn for_each_hash_since(
        &self,
        since: app::model::Timestamp,
        each: &mut (dyn for<'r> FnMut(&'r str, &'r str) + Send),
    ) -> StoreResult<()> {
        use futures::TryStreamExt;
        let mut rows = sqlx::query("SELECT email_md5, email_sha256 FROM contacts WHERE updated_at >= $1")
            .bind(since)
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            each(row.get::<&str, _>(0), row.get::<&str, _>(1));
        }
        drop(rows);
        // The imported suppression list: each hash is one kind or the other.
        let mut rows =
            sqlx::query("SELECT hash FROM suppression_hashes WHERE created_at >= $1").bind(since).fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            let hash = row.get::<&str, _>(0);
            if hash.len() == 32 {
                each(hash, "");
            } else {
                each("", hash);
            }
        }
        Ok(())
    }

    async fn known_md5(&self, hashes: &[String]) -> StoreResult<Vec<String>> {
        self.known_hashes("email_md5", hashes).await
    }

    async fn known_sha256(&self, hashes: &[String]) -> StoreResult<Vec<String>> {
        self.known_hashes("email_sha256", hashes).await
    }
}

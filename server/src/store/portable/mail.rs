//! The outbox: mail waiting, leased, sent or given up.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::mail::{NewMail, OutboxMail};
use app::store::{MailCounts, MailStore, StoreResult};
use sqlx::Row;

const COLUMNS: &str = "id, contact_id, kind, to_address, subject, text_body, html_body, unsubscribe_url, \
                       state, attempts, next_attempt_at, last_error, created_at, sent_at";

fn decode(r: &<Db as sqlx::Database>::Row) -> Result<OutboxMail, sqlx::Error> {
    Ok(OutboxMail {
        id: r.try_get("id")?,
        contact_id: r.try_get("contact_id")?,
        kind: r.try_get("kind")?,
        to: r.try_get("to_address")?,
        subject: r.try_get("subject")?,
        text: r.try_get("text_body")?,
        html: r.try_get("html_body")?,
        unsubscribe_url: r.try_get("unsubscribe_url")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

#[async_trait::async_trait]
impl MailStore for DbStore {
    #[tracing::instrument(skip_all, fields(kind = %mail.kind))]
    async fn queue_mail(&self, mail: &NewMail, now: app::model::Timestamp) -> StoreResult<app::model::MailId> {
        let row = sqlx::query(
            "INSERT INTO outbox (contact_id, kind, to_address, subject, text_body, html_body, unsubscribe_url, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(mail.contact_id)
        .bind(&mail.kind)
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(&mail.unsubscribe_url)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    #[tracing::instrument(skip(self))]
    async fn claim_mails(
        &self,
        now: app::model::Timestamp,
        lease_until: app::model::Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMail>> {
        // One statement: instances racing for the same rows each get their own.
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET lease_until = $1 WHERE id IN (SELECT id FROM outbox \
             WHERE state = 'queued' AND next_attempt_at <= $2 AND lease_until <= $2 ORDER BY next_attempt_at, id LIMIT $3) \
             AND lease_until <= $2 RETURNING {COLUMNS}"
        ))
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut mails = rows.iter().map(decode).collect::<Result<Vec<_>, _>>().map_err(map_err)?;
        mails.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(mails)
    }

    async fn mail_sent(&self, id: app::model::MailId, now: app::model::Timestamp) -> StoreResult<()> {
        // Once sent, the bodies go: they hold working link tokens (personal links, sign-up
        // confirmations), and staff never need them again.
        sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, lease_until = 0, last_error = '', text_body = '', html_body = '' WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: app::model::MailId,
        error: &str,
        retry_at: Option<app::model::Timestamp>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, lease_until = 0, last_error = $1, \
             state = CASE WHEN $2 THEN 'queued' ELSE 'failed' END, next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $4",
        )
        .bind(error)
        .bind(retry_at.is_some())
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn retry_mail(&self, id: app::model::MailId, now: app::model::Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE outbox SET state = 'queued', next_attempt_at = $1 WHERE id = $2 AND state <> 'sent'")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn mail(&self, id: app::model::MailId) -> StoreResult<Option<OutboxMail>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(decode).transpose().map_err(map_err)
    }

    async fn recent_mails(&self, before_id: Option<app::model::MailId>, limit: i64) -> StoreResult<Vec<OutboxMail>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id < $1 ORDER BY id DESC LIMIT $2"))
            .bind(before_id.map_or(i64::MAX, |id| id.0))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(decode).collect::<Result<Vec<_>, _>>().map_err(map_err)
    }

    async fn mail_counts(&self) -> StoreResult<MailCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut counts = MailCounts::default();
        for r in rows {
            let (state, n): (String, i64) = (r.get(0), r.get(1));
            match state.as_str() {
                "queued" => counts.queued = n,
                "sent" => counts.sent = n,
                _ => counts.failed = n,
            }
        }
        Ok(counts)
    }
}

//! The self-service part of the store: the outbox, personal links, erasure. A supertrait of `Store`, written by its own macro in
//! the server crate.

use super::StoreResult;
use crate::mail::{NewMail, OutboxMail};
use async_trait::async_trait;

#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queues a message, due now.
    async fn queue_mail(&self, mail: &NewMail, now: i64) -> StoreResult<i64>;
    /// Leases up to `limit` queued messages that are due (and not leased by another
    /// instance) until `lease_until`, oldest first.
    async fn claim_mails(&self, now: i64, lease_until: i64, limit: i64) -> StoreResult<Vec<OutboxMail>>;
    async fn mail_sent(&self, id: i64, now: i64) -> StoreResult<()>;
    /// Records a failed attempt: retried at `retry_at`, or given up when it is `None`.
    async fn mail_failed(&self, id: i64, error: &str, retry_at: Option<i64>) -> StoreResult<()>;
    /// Makes a queued or given-up message due now (staff "retry now").
    async fn retry_mail(&self, id: i64, now: i64) -> StoreResult<bool>;
    async fn mail(&self, id: i64) -> StoreResult<Option<OutboxMail>>;
    /// Newest first, below `before_id` when given.
    async fn recent_mails(&self, before_id: Option<i64>, limit: i64) -> StoreResult<Vec<OutboxMail>>;
    /// How many are queued, sent and failed.
    async fn mail_counts(&self) -> StoreResult<(i64, i64, i64)>;

    // Personal links (the token's SHA-256 only).
    async fn create_link(
        &self,
        contact_id: i64,
        purpose: &str,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Uses a link once: its contact if it exists, is for `purpose`, unused and unexpired.
    async fn use_link(&self, token_hash: &str, purpose: &str, now: i64) -> StoreResult<Option<i64>>;
    /// A link whatever its state: (contact, expires_at, used_at).
    async fn link(&self, token_hash: &str, purpose: &str) -> StoreResult<Option<(i64, i64, Option<i64>)>>;

    /// Erases a contact's personal data at their request, in one transaction: every
    /// personal field blanked (the email replaced by a placeholder, its hashes kept, the
    /// phone's hash stored), unsubscribed everywhere and suppressed, the timeline replaced
    /// by one "erased" line, links and mail to them removed. `NotFound` if already erased.
    async fn erase_contact(&self, id: i64, phone_sha256: &str, now: i64) -> StoreResult<()>;

    /// Pauses a subscribed newsletter until `until` (or resumes it with `None`), with the
    /// consent evidence of the choice. `false` when the contact is not subscribed to it.
    async fn pause_subscription(
        &self,
        contact_id: i64,
        newsletter_id: i64,
        until: Option<i64>,
        consent: &crate::model::contact::ConsentEvidence,
    ) -> StoreResult<bool>;
    /// Paused newsletters of a contact: (newsletter, until).
    async fn paused_subscriptions(&self, contact_id: i64) -> StoreResult<Vec<(i64, i64)>>;
    /// "email" or "sms".
    async fn preferred_channel(&self, contact_id: i64) -> StoreResult<String>;
    /// Sets the channel the person prefers and puts their words on the timeline (the
    /// choice's evidence), in one transaction.
    async fn set_preferred_channel(&self, contact_id: i64, channel: &str, words: &str, now: i64) -> StoreResult<()>;

    /// The yearly refresh: contacts whose profile was last updated before
    /// `updated_before`, still subscribed to something, not suppressed or erased, and
    /// sent no personal link since `no_link_since`; oldest first.
    async fn contacts_to_refresh(&self, updated_before: i64, no_link_since: i64, limit: i64) -> StoreResult<Vec<i64>>;
}

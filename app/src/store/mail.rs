//! The outbox part of the store. A supertrait of `Store`.

use super::StoreResult;
use crate::mail::{NewMail, OutboxMail};
use crate::model::MailId;
use async_trait::async_trait;

/// The outbox by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailCounts {
    pub queued: i64,
    pub sent: i64,
    /// Given up.
    pub failed: i64,
}

#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queues a message, due now.
    async fn queue_mail(&self, mail: &NewMail, now: crate::model::Timestamp) -> StoreResult<MailId>;
    /// Leases up to `limit` queued messages that are due (and not leased by another
    /// instance) until `lease_until`, oldest first.
    async fn claim_mails(
        &self,
        now: crate::model::Timestamp,
        lease_until: crate::model::Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMail>>;
    /// Marks a message sent, and forgets its bodies (they hold working link tokens).
    async fn mail_sent(&self, id: MailId, now: crate::model::Timestamp) -> StoreResult<()>;
    /// Records a failed attempt: retried at `retry_at`, or given up when it is `None`.
    async fn mail_failed(&self, id: MailId, error: &str, retry_at: Option<crate::model::Timestamp>) -> StoreResult<()>;
    /// Makes a queued or given-up message due now (staff "retry now").
    async fn retry_mail(&self, id: MailId, now: crate::model::Timestamp) -> StoreResult<bool>;
    async fn mail(&self, id: MailId) -> StoreResult<Option<OutboxMail>>;
    /// Newest first, below `before_id` when given.
    async fn recent_mails(&self, before_id: Option<MailId>, limit: i64) -> StoreResult<Vec<OutboxMail>>;
    /// How many are queued, sent and failed.
    async fn mail_counts(&self) -> StoreResult<MailCounts>;
}

//! The self-service part of the store: personal links, erasure, pauses, the preferred
//! channel and the yearly refresh. A supertrait of `Store`.

use super::StoreResult;
use crate::model::{ContactId, NewsletterId};
use async_trait::async_trait;

/// A newsletter paused by the person, until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PausedSubscription {
    pub newsletter_id: NewsletterId,
    pub until: crate::model::Timestamp,
}

/// A personal link as stored (its token's hash aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkRecord {
    pub contact_id: ContactId,
    pub expires_at: crate::model::Timestamp,
    pub used_at: Option<crate::model::Timestamp>,
}

#[async_trait]
pub trait SelfServiceStore: Send + Sync {
    // Personal links (the token's SHA-256 only).
    async fn create_link(
        &self,
        contact_id: ContactId,
        purpose: &str,
        token_hash: &str,
        now: crate::model::Timestamp,
        expires_at: crate::model::Timestamp,
    ) -> StoreResult<()>;
    /// Uses a link once: its contact if it exists, is for `purpose`, unused and unexpired.
    async fn use_link(
        &self,
        token_hash: &str,
        purpose: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<Option<ContactId>>;
    /// A link whatever its state.
    async fn link(&self, token_hash: &str, purpose: &str) -> StoreResult<Option<LinkRecord>>;

    /// Erases a contact's personal data at their request, in one transaction: every
    /// personal field blanked (the email replaced by a placeholder, its hashes kept, the
    /// phone's hash stored), unsubscribed everywhere and suppressed, the timeline replaced
    /// by one "erased" line, links and mail to them removed. `NotFound` if already erased.
    async fn erase_contact(&self, id: ContactId, phone_sha256: &str, now: crate::model::Timestamp) -> StoreResult<()>;

    /// Pauses a subscribed newsletter until `until` (or resumes it with `None`), with the
    /// consent evidence of the choice. `false` when the contact is not subscribed to it.
    async fn pause_subscription(
        &self,
        contact_id: ContactId,
        newsletter_id: NewsletterId,
        until: Option<crate::model::Timestamp>,
        consent: &crate::model::contact::ConsentEvidence,
    ) -> StoreResult<bool>;
    /// Paused newsletters of a contact, and until when.
    async fn paused_subscriptions(&self, contact_id: ContactId) -> StoreResult<Vec<PausedSubscription>>;
    /// "email" or "sms".
    async fn preferred_channel(&self, contact_id: ContactId) -> StoreResult<String>;
    /// Sets the channel the person prefers and puts their words on the timeline (the
    /// choice's evidence), in one transaction.
    async fn set_preferred_channel(
        &self,
        contact_id: ContactId,
        channel: &str,
        words: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<()>;

    /// The yearly refresh: contacts whose profile was last updated before
    /// `updated_before`, still subscribed to something, not suppressed or erased, and
    /// sent no personal link since `no_link_since`; oldest first.
    async fn contacts_to_refresh(
        &self,
        updated_before: crate::model::Timestamp,
        no_link_since: crate::model::Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<ContactId>>;
}

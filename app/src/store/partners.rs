//! The partner part of the store: partners, API keys and their use, leads and billing,
//! idempotent answers, the audit trail, and the suppression lookups partners call. A
//! supertrait of `Store`, implemented once in `server/src/store/portable/`.

use super::{PartnerLead, StoreResult};
use crate::model::{ApiKeyId, PartnerId};
use crate::partners::{ApiKeyRecord, AuditEntry, Partner, UsageDay};
use async_trait::async_trait;

/// The answer given to a request with an Idempotency-Key, kept for its retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: i64,
    /// Its `Content-Type` (empty for answers stored before it was kept).
    pub content_type: String,
    pub body: String,
}

/// What claiming an Idempotency-Key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key was free (or its claim had been abandoned for a minute): this request
    /// holds it until its answer is saved or the claim released.
    Claimed,
    /// Another request holds it: the one it was first used for (e.g. "POST
    /// /api/v1/leads") and its answer, `None` while it is still running.
    Taken { request: String, answer: Option<StoredAnswer> },
}

/// A key to store: its hash (never the key), what it may do, when it was made and ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiKey<'a> {
    pub partner_id: PartnerId,
    pub key_hash: &'a str,
    /// The first characters, to tell keys apart on the partners page.
    pub prefix: &'a str,
    /// Comma-separated scope names.
    pub scopes: &'a str,
    /// Comma-separated event kinds (empty without the `events` scope).
    pub event_kinds: &'a str,
    pub created_at: crate::model::Timestamp,
    pub expires_at: Option<crate::model::Timestamp>,
}

#[async_trait]
pub trait PartnerStore: Send + Sync {
    // Partners and API keys.
    async fn create_partner(
        &self,
        name: &str,
        contact_email: &str,
        price_cents: i64,
        daily_quota: i64,
        own: bool,
        now: crate::model::Timestamp,
    ) -> StoreResult<PartnerId>;
    async fn partner(&self, id: PartnerId) -> StoreResult<Option<Partner>>;
    async fn partners(&self) -> StoreResult<Vec<Partner>>;
    async fn create_api_key(&self, key: &NewApiKey<'_>) -> StoreResult<ApiKeyId>;
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    async fn api_keys(&self, partner_id: PartnerId) -> StoreResult<Vec<ApiKeyRecord>>;
    async fn revoke_api_key(&self, id: ApiKeyId, now: crate::model::Timestamp) -> StoreResult<()>;
    async fn touch_api_key(&self, id: ApiKeyId, now: crate::model::Timestamp) -> StoreResult<()>;
    /// Adds to a key's request count for a day.
    async fn add_key_requests(&self, key_id: ApiKeyId, day: &str, requests: i64) -> StoreResult<()>;
    async fn add_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The most recent audit entries, newest first.
    async fn audit_entries(&self, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// Adds to a partner's counters for a day (UTC, `YYYY-MM-DD`).
    async fn add_partner_usage(&self, partner_id: PartnerId, day: &str, checks: i64, hits: i64) -> StoreResult<()>;
    async fn partner_checks_on(&self, partner_id: PartnerId, day: &str) -> StoreResult<i64>;
    /// Records the contact, its subscriptions, the billing line and the counters in one
    /// transaction; returns the lead id. `Conflict` (`contacts_email_key`) when the
    /// address is already known (by its hash, so an erased person too), and then
    /// nothing is written or billed.
    async fn insert_partner_lead(&self, lead: &PartnerLead) -> StoreResult<i64>;
    /// Counts a refused lead: a duplicate (already known) or an invalid one.
    async fn count_lead_refusal(&self, partner_id: PartnerId, day: &str, duplicate: bool) -> StoreResult<()>;
    /// A partner's counters, day by day, for `from..=to` (`YYYY-MM-DD`).
    async fn partner_usage(&self, partner_id: PartnerId, from: &str, to: &str) -> StoreResult<Vec<UsageDay>>;
    /// Claims an Idempotency-Key for `request`, in one statement, so of two concurrent
    /// requests with one new key exactly one runs.
    async fn claim_idempotency_key(
        &self,
        partner_id: PartnerId,
        key: &str,
        request: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<KeyClaim>;
    /// Takes an integration's order number for this contact: `false` when the order was
    /// sent before (it is a purchase once, whatever retries or syncs send it again).
    async fn claim_shop_order(
        &self,
        partner_id: PartnerId,
        order_id: &str,
        contact_id: crate::model::ContactId,
        now: crate::model::Timestamp,
    ) -> StoreResult<bool>;
    /// Lets go of order numbers whose purchase could not be recorded.
    async fn release_shop_orders(&self, partner_id: PartnerId, order_ids: &[String]) -> StoreResult<()>;
    /// Lets go of a claim whose request could not be answered (a retry may run it).
    async fn release_idempotency_key(&self, partner_id: PartnerId, key: &str) -> StoreResult<()>;
    /// Stores the answer of the request holding the claim, for its retries.
    async fn save_idempotent_response(
        &self,
        partner_id: PartnerId,
        key: &str,
        answer: &StoredAnswer,
        now: crate::model::Timestamp,
    ) -> StoreResult<()>;

    // Suppression.
    /// Sends every known address's hash (SHA-256 when `sha256`, else MD5) — or only those
    /// of contacts created or changed at or after `since` — to `out`, in batches read by
    /// id ranges: memory stays flat whatever the size of the base. Stops early, without
    /// error, when the receiver is gone. Never sends an empty batch.
    async fn export_hashes(
        &self,
        sha256: bool,
        since: Option<crate::model::Timestamp>,
        out: &tokio::sync::mpsc::Sender<Vec<String>>,
    ) -> StoreResult<()>;
    /// Calls `each(md5, sha256)` for every contact created or changed at or after
    /// `since` (all of them with `i64::MIN`), streaming rows rather than loading them.
    async fn for_each_hash_since(
        &self,
        since: crate::model::Timestamp,
        each: &mut (dyn for<'r> FnMut(&'r str, &'r str) + Send),
    ) -> StoreResult<()>;
    /// Which of these lowercase hex MD5s belong to a known address.
    async fn known_md5(&self, hashes: &[String]) -> StoreResult<Vec<String>>;
    /// Which of these lowercase hex SHA-256s belong to a known address.
    async fn known_sha256(&self, hashes: &[String]) -> StoreResult<Vec<String>>;
}

//! The engagement part of the store: events, the dashboard's aggregates and bulk
//! actions. A supertrait of `Store`.

use super::StoreResult;
use crate::engagement::{Attrition, BreakdownRow, MonthCounts};
use crate::model::contact::ConsentEvidence;
use crate::model::engagement::{Pool, StatusBounds};
use crate::model::events::EventKind;
use crate::model::{Contact, ContactId, ContactQuery};
use async_trait::async_trait;
use std::collections::HashMap;

/// A stored computation (the dashboard), and when it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub taken_at: crate::model::Timestamp,
    pub body: String,
}

/// An event about a known contact, ready to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub contact_id: ContactId,
    pub kind: EventKind,
    pub occurred_at: crate::model::Timestamp,
    pub campaign: String,
    pub meta: String,
    /// What the timeline says besides the kind (a staff note).
    pub detail: String,
    /// Who sent it, for the timeline: "api:<partner>", "tracking", a staff email, "import".
    pub actor: String,
}

#[async_trait]
pub trait EngagementStore: Send + Sync {
    // Events.
    /// The ids of these normalised addresses, for those that are known.
    async fn contact_ids_by_email(&self, emails: &[String]) -> StoreResult<HashMap<String, ContactId>>;
    /// Which of these ids exist.
    async fn existing_contact_ids(&self, ids: &[ContactId]) -> StoreResult<Vec<ContactId>>;
    /// Accepts events into the inbox, durably, in one transaction. Nothing else is
    /// touched: they take effect when folded.
    async fn queue_events(&self, events: &[NewEvent]) -> StoreResult<()>;
    /// Accepts events like `queue_events` and, in the same transaction, records that
    /// the work named `mark` (an import, say) has queued its events `through` this
    /// point: killed after the events are accepted, it resumes after them, not before.
    /// The mark moves only from `from` (where this run read it, or anything when it
    /// is absent): a second run of the same chunk (an instance that stalled while
    /// another took its job over) is refused whole with `LeaseLost`.
    async fn queue_events_marked(&self, events: &[NewEvent], mark: &str, from: i64, through: i64) -> StoreResult<()>;
    /// How far the work named `mark` queued its events, if it did.
    async fn inbox_mark(&self, mark: &str) -> StoreResult<Option<i64>>;
    /// Folds the oldest `limit` events of the inbox, in one transaction: timeline rows
    /// (for contacts that still exist); the last interaction, signal, open and click
    /// instants (moved forward only); purchases counted; subscriptions ended by
    /// unsubscribes, bounces and complaints; addresses suppressed by hard bounces and
    /// complaints. Each event is folded exactly once, whatever the number of instances
    /// folding. Returns how many were folded.
    async fn fold_events(&self, limit: i64) -> StoreResult<u64>;
    /// How many accepted events are not folded yet.
    async fn pending_events(&self) -> StoreResult<i64>;

    // The dashboard's aggregates.
    /// The whole base grouped by channel, source detail and status, with the
    /// list-cleaning counts; `idle_from` is the "no interaction since" instant.
    async fn engagement_breakdown(
        &self,
        bounds: &StatusBounds,
        idle_from: crate::model::Timestamp,
    ) -> StoreResult<Vec<BreakdownRow>>;
    /// Contacts lost between `start` and `now` among those created before `start`;
    /// `inactive_after` and `new_for` are the disengaged and new limits in seconds.
    async fn attrition(
        &self,
        bounds: &StatusBounds,
        start: crate::model::Timestamp,
        now: crate::model::Timestamp,
        inactive_after: i64,
        new_for: i64,
    ) -> StoreResult<Attrition>;
    async fn snapshot(&self, name: &str) -> StoreResult<Option<Snapshot>>;
    async fn put_snapshot(&self, name: &str, taken_at: crate::model::Timestamp, body: &str) -> StoreResult<()>;
    /// Months from `from` (`YYYY-MM`) on, oldest first.
    async fn engagement_months(&self, from: &str) -> StoreResult<Vec<MonthCounts>>;
    async fn put_engagement_month(&self, month: &MonthCounts, now: crate::model::Timestamp) -> StoreResult<()>;

    // Bulk actions over a list.
    /// Ids of contacts matching the list, above `after_id`, in id order.
    async fn contact_ids_matching(
        &self,
        query: &ContactQuery,
        bounds: &StatusBounds,
        after_id: ContactId,
        limit: i64,
    ) -> StoreResult<Vec<ContactId>>;
    async fn count_matching(&self, query: &ContactQuery, bounds: &StatusBounds) -> StoreResult<i64>;
    /// Moves contacts to a pool, with a timeline entry each; returns how many moved.
    async fn set_pool(
        &self,
        ids: &[ContactId],
        pool: Pool,
        now: crate::model::Timestamp,
        actor: &str,
    ) -> StoreResult<u64>;
    /// Suppresses contacts: unsubscribed everywhere with this evidence, the address
    /// kept (hashed) so it is never re-bought. Returns how many were newly suppressed.
    async fn suppress_contacts(
        &self,
        ids: &[ContactId],
        reason: &str,
        consent: &ConsentEvidence,
        actor: &str,
    ) -> StoreResult<u64>;
    /// Whole contacts, in id order (exports).
    async fn contacts_by_ids(&self, ids: &[ContactId]) -> StoreResult<Vec<Contact>>;
}

//! The incentive part of the store. A supertrait of `Store`.

use super::StoreResult;
use crate::incentives::{Earned, Incentive, IssuedCode, Redemption};
use crate::model::{ContactId, IncentiveId};
use async_trait::async_trait;

/// A programme's codes, counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgrammeCounts {
    pub incentive_id: IncentiveId,
    pub issued: i64,
    pub redeemed: i64,
    pub pool_left: i64,
}

#[async_trait]
pub trait IncentiveStore: Send + Sync {
    /// Stores a programme (its `id` and `created_at` are ignored) and, for a pool
    /// programme, its codes, in one transaction; returns its id.
    async fn create_incentive(
        &self,
        incentive: &Incentive,
        pool: &[String],
        now: crate::model::Timestamp,
    ) -> StoreResult<IncentiveId>;
    async fn incentives(&self) -> StoreResult<Vec<Incentive>>;
    /// Adds codes to a programme's pool; returns how many were new.
    async fn add_pool_codes(&self, incentive_id: IncentiveId, codes: &[String]) -> StoreResult<u64>;
    /// Gives the contact this generated code, unless they already have one from the
    /// programme. `true` when given now.
    async fn award_code(
        &self,
        incentive_id: IncentiveId,
        contact_id: ContactId,
        code: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<bool>;
    /// Gives the contact the next unissued code of the pool: the code, or `None` when
    /// the pool is empty (or they got one meanwhile).
    async fn award_from_pool(
        &self,
        incentive_id: IncentiveId,
        contact_id: ContactId,
        now: crate::model::Timestamp,
    ) -> StoreResult<Option<String>>;
    /// Records that an issued code was used at `at`.
    async fn redeem_code(&self, code: &str, at: crate::model::Timestamp) -> StoreResult<Redemption>;
    /// Per programme, in id order: its codes issued, redeemed and left in the pool.
    async fn incentive_stats(&self) -> StoreResult<Vec<ProgrammeCounts>>;
    /// What the contact earned, oldest first.
    async fn rewards_of(&self, contact_id: ContactId) -> StoreResult<Vec<Earned>>;
    /// The codes a programme gave, newest first, `limit` older than `before_id`.
    async fn issued_codes(
        &self,
        incentive_id: IncentiveId,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<IssuedCode>>;
    /// Stops or resumes a programme; whether it exists.
    async fn set_incentive_active(&self, incentive_id: IncentiveId, active: bool) -> StoreResult<bool>;
}

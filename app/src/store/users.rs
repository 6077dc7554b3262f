//! The staff part of the store: accounts, sign-in throttling counters and sessions.
//! A supertrait of `Store`, implemented once in `server/src/store/portable/`.

use super::{StoreResult, UserRecord};
use crate::model::{Email, Role, UserId};
use async_trait::async_trait;

/// Sign-in failures counted for a subject in its current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: i64,
    /// When the window started.
    pub window_started: crate::model::Timestamp,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    // Staff accounts.
    async fn create_user(
        &self,
        email: &Email,
        role: Role,
        password_hash: &str,
        now: crate::model::Timestamp,
    ) -> StoreResult<UserId>;
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<UserRecord>>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>>;
    async fn update_user(&self, id: UserId, role: Role, active: bool) -> StoreResult<()>;
    /// Sets a password and moves the account's session epoch on, which ends every
    /// session begun before; `must_change` when an admin set it for someone else.
    async fn set_user_password(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
        now: crate::model::Timestamp,
    ) -> StoreResult<()>;
    async fn record_login(&self, id: UserId, now: crate::model::Timestamp) -> StoreResult<()>;

    // Two-factor sign-in (TOTP).
    /// Keeps the secret being set up until a first code confirms it (`None`: abandoned).
    async fn set_totp_pending(&self, id: UserId, secret: Option<&str>) -> StoreResult<()>;
    /// Turns two-factor on with the pending secret, if it is still `secret` (set up
    /// again in another tab, it is not), with the step of the code that confirmed it
    /// and the digests of new recovery codes. Whether it was turned on. Moves the
    /// session epoch on (every session begun before is over).
    async fn enable_totp(&self, id: UserId, secret: &str, step: i64, recovery_hashes: &[String]) -> StoreResult<bool>;
    /// Turns two-factor off: secret, pending secret and recovery codes gone, and the
    /// session epoch moved on.
    async fn disable_totp(&self, id: UserId) -> StoreResult<()>;
    /// Accepts the code of time step `step` once: false when that step, or a later
    /// one, was already taken (a code seen twice, on any instance, works once).
    async fn take_totp_step(&self, id: UserId, step: i64) -> StoreResult<bool>;
    /// Replaces every recovery code with new ones.
    async fn replace_recovery_codes(&self, id: UserId, hashes: &[String]) -> StoreResult<()>;
    /// Uses up a recovery code: whether it was there (each works once).
    async fn take_recovery_code(&self, id: UserId, hash: &str) -> StoreResult<bool>;
    async fn count_recovery_codes(&self, id: UserId) -> StoreResult<i64>;
    async fn count_active_admins(&self) -> StoreResult<i64>;

    // Sign-in throttling: failures per subject in a fixed window of `window` seconds.
    /// Failures counted for `subject` in its current window (0 once the window is over).
    async fn login_failures(
        &self,
        subject: &str,
        now: crate::model::Timestamp,
        window: i64,
    ) -> StoreResult<LoginFailures>;
    /// Adds one failure and returns the new count.
    async fn add_login_failure(
        &self,
        subject: &str,
        now: crate::model::Timestamp,
        window: i64,
    ) -> StoreResult<LoginFailures>;
    async fn clear_login_failures(&self, subject: &str) -> StoreResult<()>;

    // Sessions (tower-sessions records, JSON).
    /// Inserts a new session; false when the id is already taken.
    async fn session_insert(&self, id: &str, data: &str, expires_at: crate::model::Timestamp) -> StoreResult<bool>;
    async fn session_save(&self, id: &str, data: &str, expires_at: crate::model::Timestamp) -> StoreResult<()>;
    async fn session_load(&self, id: &str, now: crate::model::Timestamp) -> StoreResult<Option<String>>;
    async fn session_delete(&self, id: &str) -> StoreResult<()>;
    async fn sessions_delete_expired(&self, now: crate::model::Timestamp) -> StoreResult<u64>;
}

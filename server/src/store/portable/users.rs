//! Staff accounts, sign-in throttling and sessions.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::model::{Email, Role};
use app::store::{StoreResult, UserRecord, UserStore};
use sqlx::Row;

#[async_trait::async_trait]
impl UserStore for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_user(
        &self,
        email: &Email,
        role: Role,
        password_hash: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<app::model::UserId> {
        let row = sqlx::query(
            "INSERT INTO users (email, role, password_hash, active, created_at) VALUES ($1, $2, $3, TRUE, $4) RETURNING id",
        )
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn user_by_id(&self, id: app::model::UserId) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let list = sqlx::query("SELECT * FROM users ORDER BY email").fetch_all(&self.pool).await.map_err(map_err)?;
        list.iter().map(rows::user).collect()
    }

    #[tracing::instrument(skip(self))]
    async fn update_user(&self, id: app::model::UserId, role: Role, active: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET role = $1, active = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(active)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(skip(self, password_hash))]
    async fn set_user_password(
        &self,
        id: app::model::UserId,
        password_hash: &str,
        must_change: bool,
        now: app::model::Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $3, password_changed_at = $4, \
             session_epoch = session_epoch + 1 WHERE id = $2",
        )
        .bind(password_hash)
        .bind(id)
        .bind(must_change)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        found(done.rows_affected())
    }

    async fn record_login(&self, id: app::model::UserId, now: app::model::Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip(self, secret))]
    async fn set_totp_pending(&self, id: app::model::UserId, secret: Option<&str>) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
            .bind(secret)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(skip(self, secret, recovery_hashes))]
    async fn enable_totp(
        &self,
        id: app::model::UserId,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $3, \
             session_epoch = session_epoch + 1 WHERE id = $1 AND totp_pending = $2",
        )
        .bind(id)
        .bind(secret)
        .bind(step)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        write_recovery_codes(&mut tx, id, recovery_hashes).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    #[tracing::instrument(skip(self))]
    async fn disable_totp(&self, id: app::model::UserId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, session_epoch = session_epoch + 1 WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        write_recovery_codes(&mut tx, id, &[]).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn take_totp_step(&self, id: app::model::UserId, step: i64) -> StoreResult<bool> {
        // One statement: of two instances seeing the same code, one takes it.
        let done = sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(id)
            .bind(step)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip(self, hashes))]
    async fn replace_recovery_codes(&self, id: app::model::UserId, hashes: &[String]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        write_recovery_codes(&mut tx, id, hashes).await?;
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip(self, hash))]
    async fn take_recovery_code(&self, id: app::model::UserId, hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(id)
            .bind(hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_recovery_codes(&self, id: app::model::UserId) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn count_active_admins(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn login_failures(
        &self,
        subject: &str,
        now: app::model::Timestamp,
        window: i64,
    ) -> StoreResult<app::store::LoginFailures> {
        let row = sqlx::query(
            "SELECT failures, window_started FROM login_failures WHERE subject = $1 AND window_started > $2",
        )
        .bind(subject)
        .bind(now - window)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row
            .map(|r| app::store::LoginFailures { count: r.get(0), window_started: r.get(1) })
            .unwrap_or(app::store::LoginFailures { count: 0, window_started: now }))
    }

    async fn add_login_failure(
        &self,
        subject: &str,
        now: app::model::Timestamp,
        window: i64,
    ) -> StoreResult<app::store::LoginFailures> {
        // One statement, so concurrent failures on several instances all count.
        let row = sqlx::query(
            "INSERT INTO login_failures (subject, failures, window_started) VALUES ($1, 1, $2) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = CASE WHEN login_failures.window_started <= $3 THEN 1 ELSE login_failures.failures + 1 END, \
               window_started = CASE WHEN login_failures.window_started <= $3 THEN $2 ELSE login_failures.window_started END \
             RETURNING failures, window_started",
        )
        .bind(subject)
        .bind(now)
        .bind(now - window)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(app::store::LoginFailures { count: row.get(0), window_started: row.get(1) })
    }

    async fn clear_login_failures(&self, subject: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE subject = $1")
            .bind(subject)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn session_insert(&self, id: &str, data: &str, expires_at: app::model::Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(id)
                .bind(data)
                .bind(expires_at)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_save(&self, id: &str, data: &str, expires_at: app::model::Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session_load(&self, id: &str, now: app::model::Timestamp) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn session_delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn sessions_delete_expired(&self, now: app::model::Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}

/// Replaces a staff member's recovery codes (none: all gone), in the caller's transaction.
async fn write_recovery_codes(
    tx: &mut sqlx::Transaction<'static, Db>,
    id: app::model::UserId,
    hashes: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM user_recovery_codes WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    for hash in hashes {
        sqlx::query("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(hash)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

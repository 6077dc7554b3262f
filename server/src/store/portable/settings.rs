//! The settings every instance shares.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::store::{SettingsStore, StoreResult};
use sqlx::Row;

#[async_trait::async_trait]
impl SettingsStore for DbStore {
    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn put_settings(&self, settings: &[(&str, &str)], now: app::model::Timestamp) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for (name, value) in settings {
            sqlx::query(
                "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn replace_setting(
        &self,
        name: &str,
        expected: Option<&str>,
        value: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<bool> {
        let done =
            match expected {
                None => sqlx::query(
                    "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(value)
                .bind(now)
                .execute(&self.pool)
                .await,
                Some(old) => {
                    sqlx::query("UPDATE settings SET value = $1, updated_at = $2 WHERE name = $3 AND value = $4")
                        .bind(value)
                        .bind(now)
                        .bind(name)
                        .bind(old)
                        .execute(&self.pool)
                        .await
                }
            };
        Ok(done.map_err(map_err)?.rows_affected() == 1)
    }

    async fn setting_or_insert(&self, name: &str, value: &str, now: app::model::Timestamp) -> StoreResult<String> {
        sqlx::query("INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        self.setting(name).await?.ok_or(app::store::StoreError::NotFound)
    }
}

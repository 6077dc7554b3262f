//! Incentive programmes and the codes they give.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::incentives::{Earned, Incentive, IssuedCode, Redemption};
use app::store::{IncentiveStore, ProgrammeCounts, StoreError, StoreResult};
use sqlx::Row;

const COLUMNS: &str = "id, name, reward, threshold, fields, valid_from, valid_until, code_source, \
                       code_prefix, active, created_at";

fn decode(r: &<Db as sqlx::Database>::Row) -> Result<Incentive, sqlx::Error> {
    let fields: String = r.try_get("fields")?;
    Ok(Incentive {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        reward: r.try_get("reward")?,
        threshold: r.try_get("threshold")?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        valid_from: r.try_get("valid_from")?,
        valid_until: r.try_get("valid_until")?,
        code_source: r.try_get("code_source")?,
        code_prefix: r.try_get("code_prefix")?,
        active: r.try_get("active")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Adds codes to a programme's pool (those already in it are skipped), a few
/// hundred rows a statement so a large pool holds the write lock briefly.
async fn insert_codes(conn: &mut Conn, incentive_id: app::model::IncentiveId, codes: &[String]) -> StoreResult<u64> {
    let mut added = 0;
    for chunk in codes.chunks(500) {
        let mut b: sqlx::QueryBuilder<Db> =
            sqlx::QueryBuilder::new("INSERT INTO incentive_codes (incentive_id, code) ");
        b.push_values(chunk, |mut v, code| {
            v.push_bind(incentive_id).push_bind(code);
        });
        b.push(" ON CONFLICT (incentive_id, code) DO NOTHING");
        added += b.build().execute(&mut *conn).await.map_err(map_err)?.rows_affected();
    }
    Ok(added)
}

#[async_trait::async_trait]
impl IncentiveStore for DbStore {
    async fn create_incentive(
        &self,
        i: &Incentive,
        pool: &[String],
        now: app::model::Timestamp,
    ) -> StoreResult<app::model::IncentiveId> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO incentives (name, reward, threshold, fields, valid_from, valid_until, code_source, \
             code_prefix, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&i.name)
        .bind(&i.reward)
        .bind(i.threshold)
        .bind(serde_json::to_string(&i.fields).unwrap_or_else(|_| "[]".into()))
        .bind(i.valid_from)
        .bind(i.valid_until)
        .bind(&i.code_source)
        .bind(&i.code_prefix)
        .bind(i.active)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let id: app::model::IncentiveId = row.get(0);
        insert_codes(&mut tx, id, pool).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    async fn incentives(&self) -> StoreResult<Vec<Incentive>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM incentives ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(decode).collect::<Result<Vec<_>, _>>().map_err(map_err)
    }

    async fn add_pool_codes(&self, incentive_id: app::model::IncentiveId, codes: &[String]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let added = insert_codes(&mut tx, incentive_id, codes).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(added)
    }

    async fn award_code(
        &self,
        incentive_id: app::model::IncentiveId,
        contact_id: app::model::ContactId,
        code: &str,
        now: app::model::Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO incentive_codes (incentive_id, code, contact_id, issued_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (incentive_id, contact_id) DO NOTHING",
        )
        .bind(incentive_id)
        .bind(code)
        .bind(contact_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn award_from_pool(
        &self,
        incentive_id: app::model::IncentiveId,
        contact_id: app::model::ContactId,
        now: app::model::Timestamp,
    ) -> StoreResult<Option<String>> {
        // Two people may race for the same next code: whoever loses tries the
        // following one.
        for _ in 0..5 {
            let taken = sqlx::query(
                "UPDATE incentive_codes SET contact_id = $1, issued_at = $2 WHERE id = (SELECT id FROM incentive_codes \
                 WHERE incentive_id = $3 AND issued_at IS NULL ORDER BY id LIMIT 1) AND issued_at IS NULL RETURNING code",
            )
            .bind(contact_id)
            .bind(now)
            .bind(incentive_id)
            .fetch_optional(&self.pool)
            .await;
            match taken.map_err(map_err) {
                Ok(Some(row)) => return Ok(Some(row.get(0))),
                // Another save of the same person got there first.
                Err(StoreError::Conflict { .. }) => return Ok(None),
                Err(e) => return Err(e),
                Ok(None) => {}
            }
            let left =
                sqlx::query("SELECT 1 FROM incentive_codes WHERE incentive_id = $1 AND issued_at IS NULL LIMIT 1")
                    .bind(incentive_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
            if left.is_none() {
                return Ok(None);
            }
        }
        Ok(None)
    }

    async fn redeem_code(&self, code: &str, at: app::model::Timestamp) -> StoreResult<Redemption> {
        // The oldest issued, unused code so spelled (pools of two programmes
        // could share a spelling).
        let row = sqlx::query(
            "UPDATE incentive_codes SET redeemed_at = $1 WHERE id = (SELECT id FROM incentive_codes \
             WHERE code = $2 AND issued_at IS NOT NULL AND redeemed_at IS NULL ORDER BY id LIMIT 1) \
             AND redeemed_at IS NULL RETURNING incentive_id",
        )
        .bind(at)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        if let Some(r) = row {
            return Ok(Redemption::Redeemed { incentive_id: r.get(0) });
        }
        let used =
            sqlx::query("SELECT MIN(redeemed_at) FROM incentive_codes WHERE code = $1 AND redeemed_at IS NOT NULL")
                .bind(code)
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(match used.get::<Option<app::model::Timestamp>, _>(0) {
            Some(at) => Redemption::AlreadyRedeemed { at },
            None => Redemption::Unknown,
        })
    }

    async fn incentive_stats(&self) -> StoreResult<Vec<ProgrammeCounts>> {
        let rows = sqlx::query(
            "SELECT i.id, \
               (SELECT COUNT(*) FROM incentive_codes c WHERE c.incentive_id = i.id AND c.issued_at IS NOT NULL), \
               (SELECT COUNT(*) FROM incentive_codes c WHERE c.incentive_id = i.id AND c.redeemed_at IS NOT NULL), \
               (SELECT COUNT(*) FROM incentive_codes c WHERE c.incentive_id = i.id AND c.issued_at IS NULL) \
             FROM incentives i ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| ProgrammeCounts {
                incentive_id: r.get(0),
                issued: r.get(1),
                redeemed: r.get(2),
                pool_left: r.get(3),
            })
            .collect())
    }

    async fn issued_codes(
        &self,
        incentive_id: app::model::IncentiveId,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<IssuedCode>> {
        let rows = sqlx::query(
            "SELECT c.id, c.code, c.contact_id, p.email, c.issued_at, c.redeemed_at FROM incentive_codes c \
             LEFT JOIN contacts p ON p.id = c.contact_id \
             WHERE c.incentive_id = $1 AND c.issued_at IS NOT NULL AND c.id < $2 ORDER BY c.id DESC LIMIT $3",
        )
        .bind(incentive_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| IssuedCode {
                id: r.get(0),
                code: r.get(1),
                contact_id: r.get(2),
                email: r.get(3),
                issued_at: r.get(4),
                redeemed_at: r.get(5),
            })
            .collect())
    }

    async fn set_incentive_active(&self, incentive_id: app::model::IncentiveId, active: bool) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE incentives SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(incentive_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn rewards_of(&self, contact_id: app::model::ContactId) -> StoreResult<Vec<Earned>> {
        let rows = sqlx::query(
            "SELECT i.id, i.name, i.reward, c.code, c.issued_at, c.redeemed_at FROM incentive_codes c \
             JOIN incentives i ON i.id = c.incentive_id WHERE c.contact_id = $1 ORDER BY c.issued_at, c.id",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| Earned {
                incentive_id: r.get(0),
                name: r.get(1),
                reward: r.get(2),
                code: r.get(3),
                issued_at: r.get(4),
                redeemed_at: r.get(5),
            })
            .collect())
    }
}

//! Background jobs and their leases.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use app::platform::jobs::{ClaimedJob, Job};
use app::store::{JobStore, NewJob, StoreResult};
use sqlx::Row;

/// What a job's progress page needs: everything but its payload (an upload of up to
/// 32 MB, read only by the instance that claims the job), so polling stays cheap.
const JOB_COLUMNS: &str = "id, kind, state, params, total, done, next_id, message, created_by, created_at, updated_at";

#[async_trait::async_trait]
impl JobStore for DbStore {
    async fn create_job(&self, job: &NewJob) -> StoreResult<app::model::JobId> {
        let row = sqlx::query(
            "INSERT INTO jobs (kind, state, params, payload, total, created_by, created_at, updated_at) \
             VALUES ($1, 'queued', $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&job.kind)
        .bind(&job.params)
        .bind(&job.payload)
        .bind(job.total)
        .bind(&job.created_by)
        .bind(job.now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.get(0))
    }

    async fn claim_job(
        &self,
        now: app::model::Timestamp,
        lease_until: app::model::Timestamp,
        lease: &str,
    ) -> StoreResult<Option<ClaimedJob>> {
        // The WHERE is repeated on the outer UPDATE: when two instances pick the
        // same job, the second re-checks it after the first commits and skips it.
        let row = sqlx::query(
            "UPDATE jobs SET state = 'running', lease_until = $2, updated_at = $1, lease_token = $3 \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < $1) ORDER BY id LIMIT 1) \
             AND (state = 'queued' OR (state = 'running' AND lease_until < $1)) RETURNING *",
        )
        .bind(now)
        .bind(lease_until)
        .bind(lease)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        match row {
            Some(r) => {
                let mut job = rows::job(&r)?;
                job.lease = lease.to_string();
                Ok(Some(ClaimedJob { job, payload: r.try_get("payload").map_err(map_err)? }))
            }
            None => Ok(None),
        }
    }

    async fn job_progress(
        &self,
        job: &Job,
        done: i64,
        next_id: i64,
        now: app::model::Timestamp,
        lease_until: app::model::Timestamp,
    ) -> StoreResult<()> {
        let written = sqlx::query(
            "UPDATE jobs SET done = $2, next_id = $3, updated_at = $4, lease_until = $5 \
             WHERE id = $1 AND lease_token = $6 AND state = 'running'",
        )
        .bind(job.id)
        .bind(done)
        .bind(next_id)
        .bind(now)
        .bind(lease_until)
        .bind(&job.lease)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        held(written.rows_affected())
    }

    async fn finish_job(&self, job: &Job, failed: bool, message: &str, now: app::model::Timestamp) -> StoreResult<()> {
        let written = sqlx::query(
            "UPDATE jobs SET state = $2, message = $3, updated_at = $4, payload = '' \
             WHERE id = $1 AND lease_token = $5 AND state = 'running'",
        )
        .bind(job.id)
        .bind(if failed { "failed" } else { "done" })
        .bind(message)
        .bind(now)
        .bind(&job.lease)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        held(written.rows_affected())
    }

    async fn job(&self, id: app::model::JobId) -> StoreResult<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rows::job).transpose()
    }

    async fn recent_jobs(&self, limit: i64) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(rows::job).collect()
    }
}

/// A write under a lease: none written means another run holds it now.
fn held(rows: u64) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::LeaseLost)
    } else {
        Ok(())
    }
}

//! Idempotency-Keys: a key is claimed by the first request that carries it (status 0,
//! "running"), then holds that request's answer for its retries.
//!
//! Portable SQL: mounted once per backend with the rest of this folder.

use super::*;
use app::model::{PartnerId, Timestamp};
use app::store::{KeyClaim, StoreResult, StoredAnswer};
use sqlx::Row;

/// A claim older than this, still without an answer, was abandoned (its instance died
/// mid-request): the next request with the key takes it over.
const ABANDONED_AFTER_SECS: i64 = 60;

pub(super) async fn claim(
    store: &DbStore,
    partner_id: PartnerId,
    key: &str,
    request: &str,
    now: Timestamp,
) -> StoreResult<KeyClaim> {
    let claimed = sqlx::query(
        "INSERT INTO idempotent_responses (partner_id, key, status, body, created_at, request) \
         VALUES ($1, $2, 0, '', $3, $4) ON CONFLICT (partner_id, key) DO NOTHING",
    )
    .bind(partner_id)
    .bind(key)
    .bind(now)
    .bind(request)
    .execute(&store.pool)
    .await
    .map_err(map_err)?;
    if claimed.rows_affected() == 1 {
        return Ok(KeyClaim::Claimed);
    }
    let taken_over = sqlx::query(
        "UPDATE idempotent_responses SET created_at = $3, request = $4 \
         WHERE partner_id = $1 AND key = $2 AND status = 0 AND created_at < $5",
    )
    .bind(partner_id)
    .bind(key)
    .bind(now)
    .bind(request)
    .bind(now - ABANDONED_AFTER_SECS)
    .execute(&store.pool)
    .await
    .map_err(map_err)?;
    if taken_over.rows_affected() == 1 {
        return Ok(KeyClaim::Claimed);
    }
    let row = sqlx::query(
        "SELECT status, body, request, content_type FROM idempotent_responses WHERE partner_id = $1 AND key = $2",
    )
    .bind(partner_id)
    .bind(key)
    .fetch_optional(&store.pool)
    .await
    .map_err(map_err)?;
    let Some(row) = row else {
        // Released between the two statements: this request may run.
        return Box::pin(claim(store, partner_id, key, request, now)).await;
    };
    let status: i64 = row.get(0);
    let answer = (status != 0).then(|| StoredAnswer { status, content_type: row.get(3), body: row.get(1) });
    Ok(KeyClaim::Taken { request: row.get(2), answer })
}

pub(super) async fn release(store: &DbStore, partner_id: PartnerId, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotent_responses WHERE partner_id = $1 AND key = $2 AND status = 0")
        .bind(partner_id)
        .bind(key)
        .execute(&store.pool)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// The answer of the claim's request; an answer already stored is never replaced.
pub(super) async fn save(
    store: &DbStore,
    partner_id: PartnerId,
    key: &str,
    answer: &StoredAnswer,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotent_responses (partner_id, key, status, body, created_at, content_type) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (partner_id, key) DO UPDATE SET status = excluded.status, body = excluded.body, \
         content_type = excluded.content_type WHERE idempotent_responses.status = 0",
    )
    .bind(partner_id)
    .bind(key)
    .bind(answer.status)
    .bind(answer.body.as_str())
    .bind(now)
    .bind(answer.content_type.as_str())
    .execute(&store.pool)
    .await
    .map_err(map_err)?;
    Ok(())
}

//! Who may call: API keys (cached a second), per-key rate limits, idempotency keys.

#[allow(unused_imports)]
use super::*;

/// Per-key token buckets for the partner API.
pub struct RateLimiter {
    rate: crate::state::PartnerRate,
    buckets: std::sync::Mutex<std::collections::HashMap<crate::model::ApiKeyId, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: crate::state::PartnerRate) -> Self {
        RateLimiter { rate, buckets: Default::default() }
    }

    /// Takes one token for this key, or says how many seconds until one is available.
    pub fn take(&self, key_id: crate::model::ApiKeyId, now: std::time::Instant) -> Result<(), i64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(key_id).or_insert((self.rate.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.rate.per_second;
        *tokens = (*tokens + refill).min(self.rate.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate.per_second).ceil().max(1.0) as i64)
        }
    }
}

/// Valid keys and their partners, remembered for a second so that a busy partner's
/// requests do not each read the same two rows. A revocation or expiry therefore takes
/// effect within a second on every instance (at once on the one that revoked).
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, PartnerKey)>>,
}

impl KeyCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(1);

    fn get(&self, key_hash: &str) -> Option<PartnerKey> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key_hash).filter(|(at, _)| at.elapsed() < Self::TTL).map(|(_, k)| k.clone())
    }

    fn put(&self, key_hash: String, key: PartnerKey) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < Self::TTL);
        }
        entries.insert(key_hash, (std::time::Instant::now(), key));
    }

    pub fn forget_key(&self, key_id: crate::model::ApiKeyId) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, (_, k)| k.key.id != key_id);
    }
}

/// Checks the `Authorization: Bearer …` value and the scope. A malformed key is refused
/// by its checksum before any database lookup.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    scope: Scope,
    now: crate::model::Timestamp,
) -> Result<PartnerKey, ApiError> {
    let raw = authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .ok_or(ApiError::Unauthorized("Send the API key as `Authorization: Bearer <key>`."))?;
    let key = ApiKey::parse(raw).ok_or(ApiError::Unauthorized("This is not a Carnet API key (check for a typo)."))?;
    let hash = key.hash();
    let caller = match state.key_cache.get(&hash) {
        Some(cached) => cached,
        None => {
            let record = state.store.api_key_by_hash(&hash).await?.ok_or(ApiError::Unauthorized("Unknown API key."))?;
            let partner =
                state.store.partner(record.partner_id).await?.ok_or(ApiError::Unauthorized("Unknown API key."))?;
            let found = PartnerKey { key: record, partner };
            state.key_cache.put(hash, found.clone());
            found
        }
    };
    let record = &caller.key;
    if record.revoked_at.is_some() {
        return Err(ApiError::Unauthorized("This API key was revoked."));
    }
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::Unauthorized("This API key has expired."));
    }
    // A profile or contacts key held by anyone but the brand's own systems (issue_key
    // refuses to make one) is refused all the same.
    if !record.scopes.contains(&scope) || (Scope::OWN_ONLY.contains(&scope) && !caller.partner.own) {
        return Err(ApiError::MissingScope(scope));
    }
    state
        .partner_limiter
        .take(record.id, std::time::Instant::now())
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    state.partner_usage.touch(record.id, &day_of(now), now);
    Ok(caller)
}

/// An Idempotency-Key as partners send it: 1 to 200 visible ASCII characters.
pub fn idempotency_key(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw {
        None => Ok(None),
        Some(k) if !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(ApiError::Invalid("`Idempotency-Key` must be 1 to 200 visible ASCII characters.".into())),
    }
}

/// Claims this partner's Idempotency-Key for `request` (e.g. "POST /api/v1/leads").
pub async fn claim_key(
    state: &AppState,
    partner_id: crate::model::PartnerId,
    key: &str,
    request: &str,
    now: crate::model::Timestamp,
) -> Result<crate::store::KeyClaim, StoreError> {
    state.store.claim_idempotency_key(partner_id, key, request, now).await
}

/// Lets go of a key whose request got no answer worth keeping (a server error).
pub async fn release_key(state: &AppState, partner_id: crate::model::PartnerId, key: &str) -> Result<(), StoreError> {
    state.store.release_idempotency_key(partner_id, key).await
}

/// Keeps the answer to a request with an Idempotency-Key, for its retries.
pub async fn keep_answer(
    state: &AppState,
    partner_id: crate::model::PartnerId,
    key: &str,
    answer: &crate::store::StoredAnswer,
    now: crate::model::Timestamp,
) -> Result<(), StoreError> {
    state.store.save_idempotent_response(partner_id, key, answer, now).await
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;
    use crate::state::PartnerRate;
    use std::time::{Duration, Instant};

    #[test]
    fn a_key_gets_its_burst_then_its_rate() {
        let limiter = RateLimiter::new(PartnerRate { per_second: 2.0, burst: 3.0 });
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.take(crate::model::ApiKeyId(1), t0).is_ok()));
        assert_eq!(limiter.take(crate::model::ApiKeyId(1), t0), Err(1));
        assert!(limiter.take(crate::model::ApiKeyId(2), t0).is_ok(), "keys have their own buckets");
        assert!(
            limiter.take(crate::model::ApiKeyId(1), t0 + Duration::from_millis(500)).is_ok(),
            "half a second refills one token at 2/s"
        );
        assert!(limiter.take(crate::model::ApiKeyId(1), t0 + Duration::from_millis(500)).is_err());
        assert!(
            (0..3).all(|_| limiter.take(crate::model::ApiKeyId(1), t0 + Duration::from_secs(60)).is_ok()),
            "refills up to the burst"
        );
        assert!(limiter.take(crate::model::ApiKeyId(1), t0 + Duration::from_secs(60)).is_err(), "and no more");
    }
}

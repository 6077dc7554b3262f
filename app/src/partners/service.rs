//! Partner rules: creating partners and keys, authenticating a key, and the check.

use super::{lookup_of, ApiKeyRecord, CheckRequest, CheckResponse, Lookup, MAX_CHECK_VALUES};
use crate::error::AppError;
use crate::model::api_key::{ApiKey, Scope};
use crate::model::FieldErrors;
use crate::state::AppState;
use crate::store::StoreError;
use rand::Rng;

/// Why a partner request is refused; the server turns each into RFC 9457 problem JSON.
#[derive(Debug, PartialEq)]
pub enum ApiError {
    /// 401: no key, a malformed key, or an unknown, revoked or expired one.
    Unauthorized(&'static str),
    /// 403: the key lacks this scope.
    MissingScope(Scope),
    /// 413: more values than one request may carry.
    TooManyValues { limit: usize },
    /// 422: the body is not what the endpoint takes; says where.
    Invalid(String),
    /// 429: the partner's daily quota is used up.
    QuotaExceeded { retry_after_secs: i64 },
    Internal,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage error in the partner API");
        ApiError::Internal
    }
}

/// The partner behind a valid key.
#[derive(Clone, Debug)]
pub struct PartnerKey {
    pub key: ApiKeyRecord,
    pub partner: super::Partner,
}

pub fn day_of(now: i64) -> String {
    chrono::DateTime::from_timestamp(now, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn seconds_to_midnight(now: i64) -> i64 {
    86_400 - now.rem_euclid(86_400)
}

pub async fn create_partner(state: &AppState, name: &str, contact_email: &str, price_cents: i64, daily_quota: i64, now: i64) -> Result<i64, AppError> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "Give the partner a name (up to 100 characters).");
    }
    let contact_email = contact_email.trim();
    if !contact_email.is_empty() && crate::model::Email::parse(contact_email).is_err() {
        errors.add("contact_email", "Enter a valid email address, like name@example.com.");
    }
    if price_cents < 0 {
        errors.add("price_cents", "The price cannot be negative.");
    }
    if daily_quota < 0 {
        errors.add("daily_quota", "The quota cannot be negative (0 means none).");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    match state.store.create_partner(name, contact_email, price_cents, daily_quota, now).await {
        Ok(id) => Ok(id),
        Err(StoreError::Conflict { .. }) => Err(AppError::Invalid(FieldErrors::single("name", "A partner with this name already exists."))),
        Err(e) => Err(e.into()),
    }
}

/// Issues a key for a partner. The key itself is returned once and never stored.
pub async fn issue_key(state: &AppState, partner_id: i64, scopes: &[Scope], expires_at: Option<i64>, now: i64) -> Result<ApiKey, AppError> {
    state.store.partner(partner_id).await?.ok_or(AppError::NotFound)?;
    let alphabet = ApiKey::random_body_alphabet();
    let body: String = {
        let mut rng = rand::rngs::OsRng;
        (0..32).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
    };
    let key = ApiKey::from_random_body(&body);
    state.store.create_api_key(partner_id, &key.hash(), &key.display_prefix(), &Scope::join(scopes), now, expires_at).await?;
    tracing::info!(partner_id, prefix = %key.display_prefix(), "API key issued");
    Ok(key)
}

/// Checks the `Authorization: Bearer …` value and the scope. A malformed key is refused
/// by its checksum before any database lookup.
pub async fn authenticate(state: &AppState, authorization: Option<&str>, scope: Scope, now: i64) -> Result<PartnerKey, ApiError> {
    let raw = authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .ok_or(ApiError::Unauthorized("Send the API key as `Authorization: Bearer <key>`."))?;
    let key = ApiKey::parse(raw).ok_or(ApiError::Unauthorized("This is not a Carnet API key (check for a typo)."))?;
    let record = state.store.api_key_by_hash(&key.hash()).await?.ok_or(ApiError::Unauthorized("Unknown API key."))?;
    if record.revoked_at.is_some() {
        return Err(ApiError::Unauthorized("This API key was revoked."));
    }
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::Unauthorized("This API key has expired."));
    }
    if !record.scopes.contains(&scope) {
        return Err(ApiError::MissingScope(scope));
    }
    let partner = state.store.partner(record.partner_id).await?.ok_or(ApiError::Unauthorized("Unknown API key."))?;
    state.store.touch_api_key(record.id, now).await?;
    Ok(PartnerKey { key: record, partner })
}

/// The suppression check: which of the submitted values Carnet already knows.
pub async fn check(state: &AppState, caller: &PartnerKey, request: CheckRequest, now: i64) -> Result<CheckResponse, ApiError> {
    let (list, values) = match (request.emails, request.md5, request.sha256) {
        (Some(v), None, None) => ("emails", v),
        (None, Some(v), None) => ("md5", v),
        (None, None, Some(v)) => ("sha256", v),
        _ => return Err(ApiError::Invalid("Send exactly one of `emails`, `md5` or `sha256`, a list of strings.".into())),
    };
    if values.len() > MAX_CHECK_VALUES {
        return Err(ApiError::TooManyValues { limit: MAX_CHECK_VALUES });
    }
    let mut lookups = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        lookups.push(lookup_of(list, value).map_err(|why| ApiError::Invalid(format!("`{list}[{i}]` {why}.")))?);
    }
    let day = day_of(now);
    if caller.partner.daily_quota > 0 {
        let used = state.store.partner_checks_on(caller.partner.id, &day).await?;
        if used + values.len() as i64 > caller.partner.daily_quota {
            return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
        }
    }
    let md5: Vec<String> = lookups.iter().filter_map(|l| if let Lookup::Md5(h) = l { Some(h.clone()) } else { None }).collect();
    let sha: Vec<String> = lookups.iter().filter_map(|l| if let Lookup::Sha256(h) = l { Some(h.clone()) } else { None }).collect();
    let known_md5: std::collections::HashSet<String> = state.store.known_md5(&md5).await?.into_iter().collect();
    let known_sha: std::collections::HashSet<String> = state.store.known_sha256(&sha).await?.into_iter().collect();
    let known: Vec<String> = values
        .iter()
        .zip(&lookups)
        .filter(|(_, l)| match l {
            Lookup::Md5(h) => known_md5.contains(h),
            Lookup::Sha256(h) => known_sha.contains(h),
        })
        .map(|(v, _)| v.clone())
        .collect();
    state.store.add_partner_usage(caller.partner.id, &day, values.len() as i64, known.len() as i64).await?;
    Ok(CheckResponse { checked: values.len(), known })
}

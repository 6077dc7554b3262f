//! Partner rules: creating partners and keys, authenticating a key, and the check.

use super::{
    lookup_of, ApiKeyRecord, CheckRequest, CheckResponse, LeadAccepted, LeadRequest, Lookup, MAX_CHECK_VALUES,
};
use crate::auth::service::{is_plain_form_post, require, session, session_error};
use crate::error::AppError;
use crate::model::api_key::{ApiKey, Scope};
use crate::model::contact::ConsentEvidence;
use crate::model::ContactForm;
use crate::model::FieldErrors;
use crate::model::Permission;
use crate::state::AppState;
use crate::store::PartnerLead;
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
    TooManyValues {
        limit: usize,
    },
    /// 422: the body is not what the endpoint takes; says where.
    Invalid(String),
    /// 409: the address is already known (the lead is not recorded nor billed).
    Known,
    /// 429: the partner's daily quota is used up.
    QuotaExceeded {
        retry_after_secs: i64,
    },
    /// 429: this key sends requests faster than its rate limit.
    RateLimited {
        retry_after_secs: i64,
    },
    Internal,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage error in the partner API");
        ApiError::Internal
    }
}

/// Per-key token buckets for the partner API.
pub struct RateLimiter {
    rate: crate::state::PartnerRate,
    buckets: std::sync::Mutex<std::collections::HashMap<i64, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: crate::state::PartnerRate) -> Self {
        RateLimiter { rate, buckets: Default::default() }
    }

    /// Takes one token for this key, or says how many seconds until one is available.
    pub fn take(&self, key_id: i64, now: std::time::Instant) -> Result<(), i64> {
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

/// Check counters and key "last used" times, gathered in memory and written to the
/// store about once a second (see `flush`): a check then costs two indexed reads and no
/// write. Counters are additive upserts, so several instances sum correctly; a crash
/// loses at most the last second of check counts (leads are billed in their own
/// transaction, never through this buffer).
#[derive(Default)]
pub struct UsageBuffer {
    counts: std::sync::Mutex<std::collections::HashMap<(i64, String), (i64, i64)>>,
    /// key id → (last use, requests per day)
    touched: std::sync::Mutex<std::collections::HashMap<i64, (i64, std::collections::HashMap<String, i64>)>>,
}

impl UsageBuffer {
    pub fn add(&self, partner_id: i64, day: &str, checks: i64, hits: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = counts.entry((partner_id, day.to_string())).or_default();
        entry.0 += checks;
        entry.1 += hits;
    }

    /// Checks counted here and not yet written.
    pub fn pending_checks(&self, partner_id: i64, day: &str) -> i64 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&(partner_id, day.to_string())).map_or(0, |c| c.0)
    }

    pub fn touch(&self, key_id: i64, day: &str, now: i64) {
        let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let (last, days) = touched.entry(key_id).or_default();
        *last = (*last).max(now);
        *days.entry(day.to_string()).or_default() += 1;
    }

    /// Writes what was gathered. On a storage error the counts are put back.
    pub async fn flush(&self, store: &dyn crate::store::Store) -> Result<(), StoreError> {
        let counts: Vec<((i64, String), (i64, i64))> =
            std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        for (i, ((partner_id, day), (checks, hits))) in counts.iter().enumerate() {
            if let Err(e) = store.add_partner_usage(*partner_id, day, *checks, *hits).await {
                for ((p, d), (c, h)) in &counts[i..] {
                    self.add(*p, d, *c, *h);
                }
                return Err(e);
            }
        }
        let touched: Vec<_> =
            std::mem::take(&mut *self.touched.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        for (key_id, (at, days)) in touched {
            store.touch_api_key(key_id, at).await?;
            for (day, requests) in days {
                store.add_key_requests(key_id, &day, requests).await?;
            }
        }
        Ok(())
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

    pub fn forget_key(&self, key_id: i64) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, (_, k)| k.key.id != key_id);
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

/// Writes one line of the audit trail; a failure is logged, never hidden from the log.
async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    partner_id: Option<i64>,
    detail: String,
    now: i64,
) -> Result<(), AppError> {
    let entry = super::AuditEntry { at: now, actor: actor.to_string(), action: action.to_string(), partner_id, detail };
    Ok(state.store.add_audit(&entry).await?)
}

pub async fn create_partner(
    state: &AppState,
    actor: &str,
    name: &str,
    contact_email: &str,
    price_cents: i64,
    daily_quota: i64,
    now: i64,
) -> Result<i64, AppError> {
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
        Ok(id) => {
            let detail = format!(
                "{name}: {} per lead, daily quota {daily_quota}",
                crate::model::contact::format_cents(price_cents)
            );
            audit(state, actor, "partner.add", Some(id), detail, now).await?;
            Ok(id)
        }
        Err(StoreError::Conflict { .. }) => {
            Err(AppError::Invalid(FieldErrors::single("name", "A partner with this name already exists.")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Issues a key for a partner. The key itself is returned once and never stored.
pub async fn issue_key(
    state: &AppState,
    actor: &str,
    partner_id: i64,
    scopes: &[Scope],
    expires_at: Option<i64>,
    now: i64,
) -> Result<ApiKey, AppError> {
    state.store.partner(partner_id).await?.ok_or(AppError::NotFound)?;
    let alphabet = ApiKey::random_body_alphabet();
    let body: String = {
        let mut rng = rand::rngs::OsRng;
        (0..32).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
    };
    let key = ApiKey::from_random_body(&body);
    state
        .store
        .create_api_key(partner_id, &key.hash(), &key.display_prefix(), &Scope::join(scopes), now, expires_at)
        .await?;
    tracing::info!(partner_id, prefix = %key.display_prefix(), "API key issued");
    let expiry = expires_at.map(|e| format!(", expires {}", day_of(e))).unwrap_or_default();
    audit(
        state,
        actor,
        "key.create",
        Some(partner_id),
        format!("{}… scopes {}{expiry}", key.display_prefix(), Scope::join(scopes)),
        now,
    )
    .await?;
    Ok(key)
}

/// Checks the `Authorization: Bearer …` value and the scope. A malformed key is refused
/// by its checksum before any database lookup.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    scope: Scope,
    now: i64,
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
    if !record.scopes.contains(&scope) {
        return Err(ApiError::MissingScope(scope));
    }
    state
        .partner_limiter
        .take(record.id, std::time::Instant::now())
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    state.partner_usage.touch(record.id, &day_of(now), now);
    Ok(caller)
}

/// Checks counted today: written ones plus those still in this instance's buffer.
async fn checks_today(state: &AppState, partner_id: i64, day: &str) -> Result<i64, ApiError> {
    Ok(state.store.partner_checks_on(partner_id, day).await? + state.partner_usage.pending_checks(partner_id, day))
}

/// Refuses at once when the partner's daily quota is already used up.
pub async fn quota_left(state: &AppState, caller: &PartnerKey, now: i64) -> Result<(), ApiError> {
    if caller.partner.daily_quota > 0
        && checks_today(state, caller.partner.id, &day_of(now)).await? >= caller.partner.daily_quota
    {
        return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
    }
    Ok(())
}

/// One batch of the streaming check: values read as in `emails` (invalid ones skipped),
/// counted against the quota, answered with the known ones.
pub async fn check_lines(
    state: &AppState,
    caller: &PartnerKey,
    lines: &[String],
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let lookups: Vec<(usize, Lookup)> =
        lines.iter().enumerate().filter_map(|(i, l)| lookup_of("emails", l).ok().map(|x| (i, x))).collect();
    let day = day_of(now);
    if caller.partner.daily_quota > 0 {
        let used = checks_today(state, caller.partner.id, &day).await?;
        if used + lines.len() as i64 > caller.partner.daily_quota {
            return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
        }
    }
    let probes: Vec<&Lookup> = lookups.iter().map(|(_, l)| l).collect();
    let found = state.known_hashes.known(state.store.as_ref(), &probes, now).await?;
    let known: Vec<String> =
        lookups.iter().zip(found).filter(|(_, hit)| *hit).map(|((i, _), _)| lines[*i].clone()).collect();
    state.partner_usage.add(caller.partner.id, &day, lines.len() as i64, known.len() as i64);
    Ok(known)
}

/// Every known address's hashes in memory, for scrubbing long lists (the streaming
/// check): a lookup is a hash-set probe instead of an index probe. Each set holds the
/// first 128 bits of each hash (all of an MD5; for SHA-256, 2^-128 odds of a false
/// match), about 40 MB per million contacts for both. Loaded on first use, then brought
/// up to date from the store (contacts changed since the last refresh, through the
/// `updated_at` index) before each batch when a second has passed.
#[derive(Default)]
pub struct KnownHashes {
    loaded: tokio::sync::Mutex<Option<LoadedHashes>>,
}

struct LoadedHashes {
    md5: std::collections::HashSet<u128>,
    sha256: std::collections::HashSet<u128>,
    refreshed_at: i64,
}

fn prefix128(hex: &str) -> Option<u128> {
    hex.get(..32).and_then(|h| u128::from_str_radix(h, 16).ok())
}

impl KnownHashes {
    /// Which lookups are known, after refreshing if a second has passed.
    pub async fn known(
        &self,
        store: &dyn crate::store::Store,
        lookups: &[&Lookup],
        now: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let mut guard = self.loaded.lock().await;
        let since = match guard.as_ref() {
            None => Some(i64::MIN),
            // Overlap by a second: rows written within the second of the last refresh.
            Some(loaded) if now > loaded.refreshed_at => Some(loaded.refreshed_at - 1),
            Some(_) => None,
        };
        if let Some(since) = since {
            let loaded = guard.get_or_insert_with(|| LoadedHashes {
                md5: Default::default(),
                sha256: Default::default(),
                refreshed_at: i64::MIN,
            });
            let (md5, sha256) = (&mut loaded.md5, &mut loaded.sha256);
            store
                .for_each_hash_since(since, &mut |m, s| {
                    md5.extend(prefix128(m));
                    sha256.extend(prefix128(s));
                })
                .await?;
            loaded.refreshed_at = now;
        }
        let loaded = guard.as_ref().expect("loaded above");
        Ok(lookups
            .iter()
            .map(|l| match l {
                Lookup::Md5(h) => prefix128(h).is_some_and(|p| loaded.md5.contains(&p)),
                Lookup::Sha256(h) => prefix128(h).is_some_and(|p| loaded.sha256.contains(&p)),
            })
            .collect())
    }
}

/// The lookups that are known, in one store round trip per kind.
async fn known_of<'a>(
    state: &AppState,
    lookups: impl Iterator<Item = &'a Lookup>,
) -> Result<std::collections::HashSet<Lookup>, ApiError> {
    let (mut md5, mut sha) = (Vec::new(), Vec::new());
    for l in lookups {
        match l {
            Lookup::Md5(h) => md5.push(h.clone()),
            Lookup::Sha256(h) => sha.push(h.clone()),
        }
    }
    let mut known: std::collections::HashSet<Lookup> =
        state.store.known_md5(&md5).await?.into_iter().map(Lookup::Md5).collect();
    known.extend(state.store.known_sha256(&sha).await?.into_iter().map(Lookup::Sha256));
    Ok(known)
}

/// The suppression check: which of the submitted values Carnet already knows.
pub async fn check(
    state: &AppState,
    caller: &PartnerKey,
    request: CheckRequest,
    now: i64,
) -> Result<CheckResponse, ApiError> {
    let (list, values) = match (request.emails, request.md5, request.sha256) {
        (Some(v), None, None) => ("emails", v),
        (None, Some(v), None) => ("md5", v),
        (None, None, Some(v)) => ("sha256", v),
        _ => {
            return Err(ApiError::Invalid("Send exactly one of `emails`, `md5` or `sha256`, a list of strings.".into()))
        }
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
        let used = checks_today(state, caller.partner.id, &day).await?;
        if used + values.len() as i64 > caller.partner.daily_quota {
            return Err(ApiError::QuotaExceeded { retry_after_secs: seconds_to_midnight(now) });
        }
    }
    let found = known_of(state, lookups.iter()).await?;
    let known: Vec<String> =
        values.iter().zip(&lookups).filter(|(_, l)| found.contains(l)).map(|(v, _)| v.clone()).collect();
    state.partner_usage.add(caller.partner.id, &day, values.len() as i64, known.len() as i64);
    Ok(CheckResponse { checked: values.len(), known })
}

fn invalid_lead(field: &str, message: &str) -> ApiError {
    ApiError::Invalid(format!("`{field}`: {message}"))
}

/// Turns a lead into the contact and consent Carnet would record, or says which field
/// is wrong. Pure apart from the newsletter names, which are passed in.
fn read_lead(
    request: &LeadRequest,
    partner_name: &str,
    newsletters: &[crate::model::contact::Newsletter],
    now: i64,
) -> Result<(crate::model::ContactFields, Vec<(i64, ConsentEvidence)>), ApiError> {
    let form = ContactForm {
        email: request.email.clone().unwrap_or_default(),
        first_name: request.first_name.clone(),
        last_name: request.last_name.clone(),
        phone: request.phone.clone(),
        birth_date: request.birth_date.clone(),
        company: request.company.clone(),
        job_title: request.job_title.clone(),
        postal_code: request.postal_code.clone(),
        city: request.city.clone(),
        country: request.country.clone(),
        channel: "partner".into(),
        source_detail: if request.source.trim().is_empty() {
            partner_name.to_string()
        } else {
            format!("{partner_name} · {}", request.source.trim())
        },
        ..Default::default()
    };
    let today = chrono::DateTime::from_timestamp(now, 0).map(|d| d.date_naive()).unwrap_or_default();
    let fields = form.validate(today).map_err(|errors| {
        let first = &errors.0[0];
        invalid_lead(&first.field, &first.message)
    })?;
    let consent = request
        .consent
        .as_ref()
        .ok_or_else(|| invalid_lead("consent", "Send the consent the person gave: text, form and when."))?;
    if consent.text.trim().is_empty() || consent.text.len() > 2000 {
        return Err(invalid_lead(
            "consent.text",
            "Give the exact words the person agreed to (up to 2,000 characters).",
        ));
    }
    if consent.form.trim().is_empty() || consent.form.len() > 200 {
        return Err(invalid_lead("consent.form", "Name the form or site, with its version (up to 200 characters)."));
    }
    let at = match consent.at.as_deref() {
        None => now,
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| invalid_lead("consent.at", "Give an RFC 3339 date and time, like 2026-11-23T10:00:00Z."))?
                .timestamp();
            // A few minutes of clock difference are tolerated, the future is not.
            if at > now + 300 {
                return Err(invalid_lead("consent.at", "The consent cannot be in the future."));
            }
            at
        }
    };
    let mut subscriptions = Vec::new();
    for (i, name) in consent.newsletters.iter().enumerate() {
        let newsletter = newsletters
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| invalid_lead(&format!("consent.newsletters[{i}]"), "Not a newsletter of this brand."))?;
        if !subscriptions.iter().any(|(id, _)| *id == newsletter.id) {
            let evidence = ConsentEvidence {
                at,
                channel: format!("partner:{partner_name}"),
                form: consent.form.trim().to_string(),
                text: consent.text.trim().to_string(),
            };
            subscriptions.push((newsletter.id, evidence));
        }
    }
    Ok((fields, subscriptions))
}

/// A lead from a partner: recorded and billed if the address is new, refused (and not
/// billed) if it is known or invalid. Two partners racing with the same new address:
/// the unique email lets exactly one insert, and billing is in the same transaction.
pub async fn submit_lead(
    state: &AppState,
    caller: &PartnerKey,
    request: LeadRequest,
    now: i64,
) -> Result<LeadAccepted, ApiError> {
    let day = day_of(now);
    let partner = &caller.partner;
    let newsletters = state.store.newsletters().await?;
    let (fields, subscriptions) = match read_lead(&request, &partner.name, &newsletters, now) {
        Ok(read) => read,
        Err(e) => {
            state.store.count_lead_refusal(partner.id, &day, false).await?;
            return Err(e);
        }
    };
    let lead = PartnerLead {
        partner_id: partner.id,
        price_cents: partner.price_cents,
        fields,
        subscriptions,
        day: day.clone(),
        now,
        actor: format!("partner:{}", partner.name),
    };
    match state.store.insert_partner_lead(&lead).await {
        Ok(lead_id) => Ok(LeadAccepted { lead_id, billed_cents: partner.price_cents }),
        Err(StoreError::Conflict { constraint }) if constraint == "contacts_email_key" => {
            state.store.count_lead_refusal(partner.id, &day, true).await?;
            Err(ApiError::Known)
        }
        Err(e) => Err(e.into()),
    }
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

// ---- The partners page (admins) ----

const NEW_KEY: &str = "new_api_key";

pub async fn summaries() -> Result<Vec<super::PartnerSummary>, AppError> {
    require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    let day = day_of(crate::state::now());
    let mut list = Vec::new();
    for partner in state.store.partners().await? {
        let keys = state.store.api_keys(partner.id).await?;
        let today = state.store.partner_usage(partner.id, &day, &day).await?.pop().unwrap_or_default();
        list.push(super::PartnerSummary { partner, keys, today });
    }
    Ok(list)
}

pub async fn add_partner_from_page(
    name: &str,
    contact_email: &str,
    price: &str,
    daily_quota: &str,
) -> Result<i64, AppError> {
    let admin = require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    let price_cents =
        crate::model::contact::parse_cents(price).filter(|_| !price.trim().is_empty()).ok_or_else(|| {
            AppError::Invalid(FieldErrors::single("price", "Enter the price of one accepted lead, like 1.50."))
        })?;
    let daily_quota = if daily_quota.trim().is_empty() {
        0
    } else {
        daily_quota.trim().parse::<i64>().map_err(|_| {
            AppError::Invalid(FieldErrors::single(
                "daily_quota",
                "Enter a whole number of checks per day (0 for none).",
            ))
        })?
    };
    let id = create_partner(&state, &admin.email, name, contact_email, price_cents, daily_quota, crate::state::now())
        .await?;
    tracing::info!(by = admin.id, partner_id = id, "partner added");
    Ok(id)
}

pub async fn create_key_from_page(partner_id: i64, scopes: &[Scope], expires_days: &str) -> Result<String, AppError> {
    let admin = require(Permission::ManageSettings).await?;
    let state = AppState::from_context()?;
    if scopes.is_empty() {
        return Err(AppError::Invalid(FieldErrors::single("scopes", "Choose at least one scope.")));
    }
    let now = crate::state::now();
    let expires_at = match expires_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Some(now + days * 86_400),
            _ => {
                return Err(AppError::Invalid(FieldErrors::single(
                    "expires_days",
                    "Enter a number of days from 1 to 3650, or leave empty.",
                )))
            }
        },
    };
    let key = issue_key(&state, &admin.email, partner_id, scopes, expires_at, now).await?;
    tracing::info!(by = admin.id, partner_id, "API key created on the partners page");
    if is_plain_form_post() {
        // Without JavaScript the answer is lost in the redirect: keep the key in the
        // session until the page shows it, once.
        session()?.insert(NEW_KEY, key.as_str()).await.map_err(session_error)?;
    }
    Ok(key.as_str().to_string())
}

pub async fn take_new_key() -> Result<Option<String>, AppError> {
    require(Permission::ManageSettings).await?;
    session()?.remove::<String>(NEW_KEY).await.map_err(session_error)
}

pub async fn revoke_from_page(key_id: i64, confirmed: bool) -> Result<(), AppError> {
    let admin = require(Permission::ManageSettings).await?;
    if !confirmed {
        return Err(AppError::Refused("Tick the box to confirm: calls with this key will stop at once.".into()));
    }
    let state = AppState::from_context()?;
    revoke_key(&state, &admin.email, key_id, crate::state::now()).await
}

/// Revokes a key: refused from now on here, within a second on other instances.
pub async fn revoke_key(state: &AppState, actor: &str, key_id: i64, now: i64) -> Result<(), AppError> {
    state.store.revoke_api_key(key_id, now).await?;
    state.key_cache.forget_key(key_id);
    tracing::info!(key_id, "API key revoked");
    audit(state, actor, "key.revoke", None, format!("key #{key_id}"), now).await?;
    Ok(())
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
        assert!((0..3).all(|_| limiter.take(1, t0).is_ok()));
        assert_eq!(limiter.take(1, t0), Err(1));
        assert!(limiter.take(2, t0).is_ok(), "keys have their own buckets");
        assert!(limiter.take(1, t0 + Duration::from_millis(500)).is_ok(), "half a second refills one token at 2/s");
        assert!(limiter.take(1, t0 + Duration::from_millis(500)).is_err());
        assert!((0..3).all(|_| limiter.take(1, t0 + Duration::from_secs(60)).is_ok()), "refills up to the burst");
        assert!(limiter.take(1, t0 + Duration::from_secs(60)).is_err(), "and no more");
    }
}

/// A partner's monthly statement (admins).
pub async fn statement(partner_id: i64, month: &str) -> Result<super::Statement, AppError> {
    require(Permission::ManageSettings).await?;
    statement_for(&AppState::from_context()?, partner_id, month).await
}

pub async fn statement_for(state: &AppState, partner_id: i64, month: &str) -> Result<super::Statement, AppError> {
    let (year, mon) = super::parse_month(month)
        .ok_or_else(|| AppError::Invalid(FieldErrors::single("month", "Choose a month as YYYY-MM.")))?;
    let partner = state.store.partner(partner_id).await?.ok_or(AppError::NotFound)?;
    // Today's checks may still be in this instance's buffer.
    state.partner_usage.flush(state.store.as_ref()).await?;
    let from = format!("{year:04}-{mon:02}-01");
    let to = format!("{year:04}-{mon:02}-31");
    let days = state.store.partner_usage(partner_id, &from, &to).await?;
    let mut totals = super::UsageDay { day: "total".into(), ..Default::default() };
    for d in &days {
        totals.checks += d.checks;
        totals.hits += d.hits;
        totals.accepted += d.accepted;
        totals.duplicates += d.duplicates;
        totals.invalid += d.invalid;
        totals.billed_cents += d.billed_cents;
    }
    Ok(super::Statement { partner, month: format!("{year:04}-{mon:02}"), days, totals })
}

pub async fn audit_trail() -> Result<Vec<super::AuditEntry>, AppError> {
    require(Permission::ManageSettings).await?;
    Ok(AppState::from_context()?.store.audit_entries(50).await?)
}

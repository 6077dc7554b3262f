//! Partner rules, by capability: `access` (keys, rate limits, idempotency), `check`
//! (the suppression checks), `leads` (submission and billing), `usage` (counters and
//! statements), `admin` (what the partners page calls). Creating partners and keys,
//! shared by the CLI, the page and tests, is here.

mod access;
mod admin;
mod check;
mod leads;
mod shop;
mod usage;

pub use access::*;
pub use admin::*;
pub use check::*;
pub use leads::*;
pub use shop::*;
pub use usage::*;

#[allow(unused_imports)]
use super::{
    lookup_of, ApiKeyRecord, CheckRequest, CheckResponse, LeadAccepted, LeadRequest, Lookup, MAX_CHECK_VALUES,
};
use crate::auth::service::{is_plain_form_post, require, session, session_error};
use crate::error::AppError;
use crate::model::api_key::{ApiKey, Scope};
use crate::model::contact::ConsentEvidence;
use crate::model::events::EventKind;
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
    /// 404: what the request names does not exist (says what).
    NotFound(&'static str),
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

/// The partner behind a valid key.
#[derive(Clone, Debug)]
pub struct PartnerKey {
    pub key: ApiKeyRecord,
    pub partner: super::Partner,
}

pub fn day_of(now: crate::model::Timestamp) -> String {
    now.datetime().format("%Y-%m-%d").to_string()
}

pub(super) fn seconds_to_midnight(now: crate::model::Timestamp) -> i64 {
    86_400 - now.secs().rem_euclid(86_400)
}

/// Writes one line of the audit trail; a failure is logged, never hidden from the log.
pub(super) async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    partner_id: Option<crate::model::PartnerId>,
    detail: String,
    now: crate::model::Timestamp,
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
    now: crate::model::Timestamp,
) -> Result<crate::model::PartnerId, AppError> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    check_name(name, &mut errors);
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
    match state.store.create_partner(name, contact_email, price_cents, daily_quota, false, now).await {
        Ok(id) => {
            let detail = format!(
                "{name}: {} per lead, daily quota {daily_quota}",
                crate::model::contact::format_cents(price_cents)
            );
            audit(state, actor, "partner.add", Some(id), detail, now).await?;
            Ok(id)
        }
        Err(e) => Err(name_taken(e)),
    }
}

fn check_name(name: &str, errors: &mut FieldErrors) {
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "Give the partner a name (up to 100 characters).");
    }
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { .. } => {
            AppError::Invalid(FieldErrors::single("name", "A partner with this name already exists."))
        }
        e => e.into(),
    }
}

/// Adds one of the brand's own systems (its shop, its site) as an integration: keys
/// like a partner's, never billed, no quota, and alone allowed the `profile` and
/// `contacts` scopes.
pub async fn create_integration(
    state: &AppState,
    actor: &str,
    name: &str,
    now: crate::model::Timestamp,
) -> Result<crate::model::PartnerId, AppError> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    check_name(name, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = state.store.create_partner(name, "", 0, 0, true, now).await.map_err(name_taken)?;
    audit(state, actor, "partner.add", Some(id), format!("{name}: the brand's own integration"), now).await?;
    Ok(id)
}

/// What a key may do: its scopes and, with `events`, the event kinds it may send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyGrant {
    pub scopes: Vec<Scope>,
    pub event_kinds: Vec<EventKind>,
}

impl KeyGrant {
    /// Every scope a partner may hold (not those of the brand's own systems), every
    /// event kind (the demo partner's key).
    pub fn every_partner_scope() -> KeyGrant {
        let scopes = Scope::ALL.into_iter().filter(|s| !Scope::OWN_ONLY.contains(s)).collect();
        KeyGrant { scopes, event_kinds: EventKind::ALL.to_vec() }
    }

    /// Scopes, and no event kinds (a key with `events` needs them: see `with_events`).
    pub fn scopes(scopes: &[Scope]) -> KeyGrant {
        KeyGrant { scopes: scopes.to_vec(), event_kinds: Vec::new() }
    }

    pub fn with_events(mut self, kinds: &[EventKind]) -> KeyGrant {
        self.event_kinds = kinds.to_vec();
        self
    }
}

/// Issues a key for a partner. The key itself is returned once and never stored.
pub async fn issue_key(
    state: &AppState,
    actor: &str,
    partner_id: crate::model::PartnerId,
    grant: &KeyGrant,
    expires_at: Option<crate::model::Timestamp>,
    now: crate::model::Timestamp,
) -> Result<ApiKey, AppError> {
    let partner = state.store.partner(partner_id).await?.ok_or(AppError::NotFound)?;
    let scopes = grant.scopes.as_slice();
    if scopes.is_empty() {
        return Err(AppError::Refused("Choose at least one scope for the key.".into()));
    }
    if !partner.own && scopes.iter().any(|s| Scope::OWN_ONLY.contains(s)) {
        return Err(AppError::Refused(
            "The profile and contacts scopes are for the brand's own shop or site (an integration), not for a \
             partner: they open a customer's profile and write contacts."
                .into(),
        ));
    }
    let event_kinds = if scopes.contains(&Scope::Events) {
        if grant.event_kinds.is_empty() {
            return Err(AppError::Refused("Choose the event kinds this key may send.".into()));
        }
        EventKind::join(&grant.event_kinds)
    } else {
        String::new()
    };
    let alphabet = ApiKey::random_body_alphabet();
    let body: String = {
        let mut rng = rand::rngs::OsRng;
        (0..32).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
    };
    let key = ApiKey::from_random_body(&body);
    state
        .store
        .create_api_key(&crate::store::NewApiKey {
            partner_id,
            key_hash: &key.hash(),
            prefix: &key.display_prefix(),
            scopes: &Scope::join(scopes),
            event_kinds: &event_kinds,
            created_at: now,
            expires_at,
        })
        .await?;
    tracing::info!(partner_id = %partner_id, prefix = %key.display_prefix(), "API key issued");
    let expiry = expires_at.map(|e| format!(", expires {}", day_of(e))).unwrap_or_default();
    audit(
        state,
        actor,
        "key.create",
        Some(partner_id),
        format!(
            "{}… scopes {}{kinds}{expiry}",
            key.display_prefix(),
            Scope::join(scopes),
            kinds = if event_kinds.is_empty() { String::new() } else { format!(" (events: {event_kinds})") }
        ),
        now,
    )
    .await?;
    Ok(key)
}

/// Revokes a key: refused from now on here, within a second on other instances.
pub async fn revoke_key(
    state: &AppState,
    actor: &str,
    key_id: crate::model::ApiKeyId,
    now: crate::model::Timestamp,
) -> Result<(), AppError> {
    state.store.revoke_api_key(key_id, now).await?;
    state.key_cache.forget_key(key_id);
    tracing::info!(key_id = %key_id, "API key revoked");
    audit(state, actor, "key.revoke", None, format!("key #{key_id}"), now).await?;
    Ok(())
}

//! Partners (lead sellers), their API keys, and the suppression check they call.
//! The HTTP side is in the server crate (`server/src/api.rs`); the rules are here.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
mod statement;

pub use page::PartnersPage;
pub use statement::StatementPage;

use crate::error::AppError;
use crate::model::api_key::Scope;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: crate::model::PartnerId,
    pub name: String,
    pub contact_email: String,
    pub price_cents: i64,
    /// Checks allowed per UTC day; 0 means no quota.
    pub daily_quota: i64,
    /// The brand's own shop or site (an integration): not billed, no quota, and the
    /// only kind that may hold `profile` and `contacts` keys.
    #[serde(default)]
    pub own: bool,
    pub created_at: crate::model::Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: crate::model::ApiKeyId,
    pub partner_id: crate::model::PartnerId,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// What an `events` key may send (empty without the scope).
    pub event_kinds: Vec<crate::model::events::EventKind>,
    pub created_at: crate::model::Timestamp,
    pub expires_at: Option<crate::model::Timestamp>,
    pub revoked_at: Option<crate::model::Timestamp>,
    pub last_used_at: Option<crate::model::Timestamp>,
    /// Requests made with this key today (as last written).
    pub requests_today: i64,
}

impl ApiKeyRecord {
    pub fn is_usable(&self, now: crate::model::Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// The most values one check request may carry.
pub const MAX_CHECK_VALUES: usize = 10_000;

/// `POST /api/v1/suppression/check`: exactly one of the three lists.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[serde(default, deserialize_with = "present_list")]
    pub emails: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present_list")]
    pub md5: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present_list")]
    pub sha256: Option<Vec<String>>,
}

/// A list that is there is a list: `null` is refused, not taken for an absent one (so
/// `{"emails": [], "sha256": null}` is not one list).
fn present_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    Vec::<String>::deserialize(deserializer).map(Some)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResponse {
    pub checked: usize,
    /// The submitted values (as submitted) that Carnet already knows.
    pub known: Vec<String>,
}

/// `POST /api/v1/leads`: a new contact offered by a partner, with the consent it gave.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadRequest {
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    /// The partner's own campaign or site, recorded as the source detail.
    #[serde(default)]
    pub source: String,
    pub consent: Option<LeadConsent>,
}

/// What the person agreed to, where and when: Carnet's consent evidence.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadConsent {
    /// The exact words the person saw.
    pub text: String,
    /// The form or site, with its version.
    pub form: String,
    /// When (RFC 3339); defaults to the time of the request.
    pub at: Option<String>,
    /// Newsletters (by name) the person subscribed to.
    #[serde(default)]
    pub newsletters: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadAccepted {
    pub lead_id: i64,
    pub billed_cents: i64,
}

/// A partner's counters for one day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageDay {
    pub day: String,
    pub checks: i64,
    pub hits: i64,
    pub accepted: i64,
    pub duplicates: i64,
    pub invalid: i64,
    pub billed_cents: i64,
}

/// A value to look up, once normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lookup {
    Md5(String),
    Sha256(String),
    /// An address, known by either of its hashes: a suppression list imported from an
    /// older tool may hold only an address's MD5.
    Address {
        md5: String,
        sha256: String,
    },
}

impl Lookup {
    /// The MD5 and the SHA-256 this value is known by.
    pub fn hashes(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Lookup::Md5(h) => (Some(h), None),
            Lookup::Sha256(h) => (None, Some(h)),
            Lookup::Address { md5, sha256 } => (Some(md5), Some(sha256)),
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads one submitted value. In `emails`, a value that is already 32 or 64 hex
/// characters is taken as a hash (what suppression-list vendors do); anything else must
/// be an address, normalised then hashed. Hashes are accepted in either case.
pub fn lookup_of(list: &str, value: &str) -> Result<Lookup, String> {
    let v = value.trim();
    match list {
        "md5" if is_hex(v, 32) => Ok(Lookup::Md5(v.to_ascii_lowercase())),
        "md5" => Err("is not an MD5 (32 hexadecimal characters)".into()),
        "sha256" if is_hex(v, 64) => Ok(Lookup::Sha256(v.to_ascii_lowercase())),
        "sha256" => Err("is not a SHA-256 (64 hexadecimal characters)".into()),
        _ if is_hex(v, 32) => Ok(Lookup::Md5(v.to_ascii_lowercase())),
        _ if is_hex(v, 64) => Ok(Lookup::Sha256(v.to_ascii_lowercase())),
        _ => crate::model::Email::parse(v)
            .map(|e| Lookup::Address { md5: e.md5_hex(), sha256: e.sha256_hex() })
            .map_err(|_| "is not a valid email address".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_the_way_vendors_do() {
        let sha = crate::model::Email::parse("jane@example.com").unwrap().sha256_hex();
        let md5 = crate::model::Email::parse("jane@example.com").unwrap().md5_hex();
        assert_eq!(lookup_of("emails", "  Jane@Example.COM "), Ok(Lookup::Address { md5, sha256: sha.clone() }));
        assert_eq!(lookup_of("emails", &sha.to_uppercase()), Ok(Lookup::Sha256(sha.clone())));
        assert_eq!(
            lookup_of("emails", "55502F40DC8B7C769880B10874ABC9D0"),
            Ok(Lookup::Md5("55502f40dc8b7c769880b10874abc9d0".into()))
        );
        assert_eq!(lookup_of("sha256", &sha), Ok(Lookup::Sha256(sha)));
        assert!(lookup_of("md5", "not-a-hash").is_err());
        assert!(lookup_of("sha256", "55502f40dc8b7c769880b10874abc9d0").is_err(), "an MD5 is not a SHA-256");
        assert!(lookup_of("emails", "nope").is_err());
    }
}

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: crate::model::Timestamp,
    pub actor: String,
    pub action: String,
    pub partner_id: Option<crate::model::PartnerId>,
    pub detail: String,
}

/// A partner as the partners page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerSummary {
    pub partner: Partner,
    pub keys: Vec<ApiKeyRecord>,
    pub today: UsageDay,
}

#[server(endpoint = "partners/list")]
pub async fn list_partners() -> Result<Vec<PartnerSummary>, AppError> {
    service::summaries().await
}

#[server(endpoint = "partners/audit")]
pub async fn audit_trail() -> Result<Vec<AuditEntry>, AppError> {
    service::audit_trail().await
}

#[server(endpoint = "partners/add")]
pub async fn add_partner(
    name: String,
    contact_email: String,
    price: String,
    daily_quota: String,
) -> Result<crate::model::PartnerId, AppError> {
    service::add_partner_from_page(&name, &contact_email, &price, &daily_quota).await
}

/// Adds one of the brand's own systems (its shop, its site) as an integration (admins).
#[server(endpoint = "partners/add-integration")]
pub async fn add_integration(name: String) -> Result<crate::model::PartnerId, AppError> {
    use crate::auth::service::require;
    let admin = require(crate::model::Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    let id = service::create_integration(&state, &admin.email, &name, crate::platform::clock::now()).await?;
    tracing::info!(by = %admin.id, partner_id = %id, "integration added");
    Ok(id)
}

/// Issues a key; returns it (shown once). Scopes come as one checkbox each.
#[allow(clippy::too_many_arguments)] // one per form field
#[server(endpoint = "partners/key")]
pub async fn create_key(
    partner_id: crate::model::PartnerId,
    check: Option<String>,
    submit: Option<String>,
    export: Option<String>,
    events: Option<String>,
    redeem: Option<String>,
    profile: Option<String>,
    contacts: Option<String>,
    /// With `events`: `engagement`, `deliverability` or `all` (see `EventKind::parse_list`).
    #[server(default)]
    event_kinds: String,
    expires_days: String,
) -> Result<String, AppError> {
    let chosen = [
        (Scope::Check, check),
        (Scope::Submit, submit),
        (Scope::Export, export),
        (Scope::Events, events),
        (Scope::Redeem, redeem),
        (Scope::Profile, profile),
        (Scope::Contacts, contacts),
    ];
    let scopes: Vec<Scope> = chosen.into_iter().filter(|(_, on)| on.is_some()).map(|(s, _)| s).collect();
    service::create_key_from_page(partner_id, &scopes, &event_kinds, &expires_days).await
}

/// The key issued by the last plain (JavaScript-off) form post, shown once.
#[server(endpoint = "partners/new-key")]
pub async fn take_new_key() -> Result<Option<String>, AppError> {
    service::take_new_key().await
}

#[server(endpoint = "partners/revoke")]
pub async fn revoke_key(key_id: crate::model::ApiKeyId, confirm: Option<String>) -> Result<(), AppError> {
    service::revoke_from_page(key_id, confirm.as_deref() == Some("yes")).await
}

/// A partner's month: one line per day with activity, and the totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub partner: Partner,
    /// `YYYY-MM`
    pub month: String,
    pub days: Vec<UsageDay>,
    pub totals: UsageDay,
}

impl Statement {
    /// The statement as CSV (one line per day, then the totals).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("day,checks,known,leads_accepted,duplicates_refused,invalid_refused,billed\n");
        for d in self.days.iter().chain(std::iter::once(&self.totals)) {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                d.day,
                d.checks,
                d.hits,
                d.accepted,
                d.duplicates,
                d.invalid,
                crate::model::contact::format_cents(d.billed_cents)
            ));
        }
        out
    }
}

/// `YYYY-MM` if valid.
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m) && s.trim().len() == 7).then_some((y, m))
}

#[server(endpoint = "partners/statement")]
pub async fn partner_statement(partner_id: crate::model::PartnerId, month: String) -> Result<Statement, AppError> {
    service::statement(partner_id, &month).await
}

//! The brand's own shop and site (integrations, `Partner::own`): a customer's personal
//! link and profile completion (`profile` scope), and contacts upserted from the shop
//! with their orders (`contacts` scope), under the import's rules: a suppressed, erased
//! or suppression-listed address is never written, an empty value never erases, and a
//! subscription needs its consent evidence.

#[allow(unused_imports)]
use super::*;
use crate::model::{ContactId, Email};
use serde::{Deserialize, Serialize};

/// Contacts one `PUT /api/v1/contacts` may carry.
pub const MAX_SHOP_CONTACTS: usize = 500;

/// `POST /api/v1/profile-links`: a fresh personal link for the customer with this
/// address, for "Update my details" or an order confirmation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfileLink {
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// `GET /api/v1/contacts/completion`: how complete the customer's profile is, what is
/// missing, and the incentive finishing it earns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Completion {
    pub percent: u8,
    /// The profile fields (keys, as on the profile page) still empty.
    pub missing: Vec<&'static str>,
    pub incentive: Option<IncentiveOffer>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncentiveOffer {
    pub name: String,
    /// In the customer's words: "10% off your next order".
    pub reward: String,
    /// The completion (percent) that earns it.
    pub threshold: i64,
    /// Fields that must be filled too.
    pub required_fields: Vec<String>,
    /// The customer has earned it already (the code is on their profile page).
    pub earned: bool,
    /// RFC 3339, when the offer ends.
    pub valid_until: Option<String>,
}

fn rfc3339(at: crate::model::Timestamp) -> String {
    at.datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The contact with this address; `NotFound` for an unknown or erased one.
async fn customer(state: &AppState, email: &str) -> Result<crate::model::Contact, ApiError> {
    let email = Email::parse(email).map_err(|_| ApiError::Invalid("`email` is not a valid email address.".into()))?;
    let id = state.store.contact_id_by_email(&email).await?.ok_or(ApiError::NotFound(NO_SUCH_CUSTOMER))?;
    match state.store.contact(id).await? {
        Some(contact) if !contact.is_erased() => Ok(contact),
        _ => Err(ApiError::NotFound(NO_SUCH_CUSTOMER)),
    }
}

const NO_SUCH_CUSTOMER: &str = "No customer has this email address.";

pub async fn profile_link(
    state: &AppState,
    email: &str,
    now: crate::model::Timestamp,
) -> Result<ProfileLink, ApiError> {
    let contact = customer(state, email).await?;
    let url = crate::self_service::service::new_link(state, contact.id, now).await?;
    Ok(ProfileLink { url, expires_at: rfc3339(now + state.settings.profile_link_days * 86_400) })
}

pub async fn completion(state: &AppState, email: &str, now: crate::model::Timestamp) -> Result<Completion, ApiError> {
    let contact = customer(state, email).await?;
    let shown = crate::self_service::service::profile_fields(state).await?;
    let form = contact.fields.to_form();
    let missing = shown.iter().filter(|f| f.get(&form).trim().is_empty()).map(|f| f.key()).collect();
    let earned: Vec<_> = state.store.rewards_of(contact.id).await?.iter().map(|r| r.incentive_id).collect();
    let open: Vec<_> = state.store.incentives().await?.into_iter().filter(|i| i.open_at(now)).collect();
    // The offer still to earn, else the one earned.
    let offer = open.iter().find(|i| !earned.contains(&i.id)).or_else(|| open.first());
    Ok(Completion {
        percent: crate::model::profile::completion(&form, &shown),
        missing,
        incentive: offer.map(|i| IncentiveOffer {
            name: i.name.clone(),
            reward: i.reward.clone(),
            threshold: i.threshold,
            required_fields: i.fields.clone(),
            earned: earned.contains(&i.id),
            valid_until: i.valid_until.map(rfc3339),
        }),
    })
}

/// `PUT /api/v1/contacts`: `{"contacts": [...]}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsUpsert {
    pub contacts: Vec<ShopContact>,
}

/// A customer as the shop knows them. A field left out (or empty) leaves what Carnet
/// has; a value given replaces it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopContact {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub job_title: String,
    /// The delivery address.
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub last_order_on: String,
    /// The customer's total spend, like "129.90".
    #[serde(default)]
    pub total_spent: String,
    /// An order, recorded as a `purchase` event.
    #[serde(default)]
    pub order: Option<ShopOrder>,
    /// Newsletters the customer subscribed to (at checkout), with the evidence.
    #[serde(default)]
    pub consent: Option<crate::partners::LeadConsent>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopOrder {
    /// The shop's order number.
    pub id: String,
    /// RFC 3339; defaults to the time of the request.
    pub at: Option<String>,
    /// Its amount, like "59.90".
    #[serde(default)]
    pub amount: String,
}

/// What became of one contact of the request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShopResult {
    pub index: usize,
    /// What became of the contact's fields: created, updated, unchanged, suppressed
    /// (never written) or refused (see `error`). Its subscriptions and order are
    /// recorded whatever the fields' status (but never for suppressed or refused).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShopReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub suppressed: usize,
    pub refused: usize,
    pub results: Vec<ShopResult>,
}

/// A shop's contact read as Carnet's fields, its subscriptions and its order (its
/// number, when, and the event's meta).
struct Read {
    fields: crate::model::ContactFields,
    subscriptions: Vec<crate::store::Consented>,
    order: Option<(String, crate::model::Timestamp, String)>,
}

fn read(
    c: &ShopContact,
    integration: &str,
    newsletters: &[crate::model::contact::Newsletter],
    now: crate::model::Timestamp,
) -> Result<Read, String> {
    let form = ContactForm {
        email: c.email.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        phone: c.phone.clone(),
        birth_date: c.birth_date.clone(),
        company: c.company.clone(),
        job_title: c.job_title.clone(),
        address_line1: c.address_line1.clone(),
        address_line2: c.address_line2.clone(),
        postal_code: c.postal_code.clone(),
        city: c.city.clone(),
        country: c.country.clone(),
        last_purchase_on: c.last_order_on.clone(),
        total_spent: c.total_spent.clone(),
        channel: "web".into(),
        source_detail: integration.to_string(),
        ..Default::default()
    };
    let field = |name: &str| match name {
        "last_purchase_on" => "last_order_on".to_string(),
        other => other.to_string(),
    };
    let fields = form.validate(now.date()).map_err(|errors| {
        errors.0.iter().map(|e| format!("`{}`: {}", field(&e.field), e.message)).collect::<Vec<_>>().join(" ")
    })?;
    let subscriptions = match &c.consent {
        None => Vec::new(),
        Some(consent) => {
            read_consent(consent, &format!("shop:{integration}"), newsletters, now).map_err(|e| match e {
                ApiError::Invalid(why) => why,
                _ => "the consent cannot be read".to_string(),
            })?
        }
    };
    let order = match &c.order {
        None => None,
        Some(o) => {
            let id = o.id.trim();
            if id.is_empty() || id.chars().count() > 100 {
                return Err("`order.id`: give the order's number (up to 100 characters).".into());
            }
            let at = match o.at.as_deref() {
                None => now,
                Some(raw) => match crate::model::events::parse_instant(raw, now) {
                    Ok(at) => at,
                    Err(e) => return Err(format!("`order.at` {e}")),
                },
            };
            let amount = match o.amount.trim() {
                "" => None,
                raw => Some(
                    crate::model::contact::parse_cents(raw)
                        .filter(|c| *c >= 0)
                        .ok_or("`order.amount`: write the amount like 59.90.")?,
                ),
            };
            let meta = serde_json::json!({ "order": id, "amount_cents": amount });
            Some((id.to_string(), at, meta.to_string()))
        }
    };
    Ok(Read { fields, subscriptions, order })
}

/// Upserts the shop's contacts, one by one (each contact's fields and subscriptions are
/// written whole or not at all), then records their new orders as purchases in one go.
/// An order number sent before (a retry, a later sync) is not a purchase again.
pub async fn upsert_contacts(
    state: &AppState,
    caller: &PartnerKey,
    request: ContactsUpsert,
    now: crate::model::Timestamp,
) -> Result<ShopReport, ApiError> {
    if request.contacts.len() > MAX_SHOP_CONTACTS {
        return Err(ApiError::TooManyValues { limit: MAX_SHOP_CONTACTS });
    }
    let newsletters = state.store.open_newsletters().await?;
    let actor = format!("api:{}", caller.partner.name);
    let mut report =
        ShopReport { created: 0, updated: 0, unchanged: 0, suppressed: 0, refused: 0, results: Vec::new() };
    let mut orders: Vec<(String, crate::store::NewEvent)> = Vec::new();
    for (index, contact) in request.contacts.iter().enumerate() {
        let result = match read(contact, &caller.partner.name, &newsletters, now) {
            Err(error) => ShopResult { index, status: "refused", contact_id: None, error: Some(error) },
            Ok(read) => {
                let order = read.order.clone();
                let (status, contact_id) = upsert_one(state, read, &actor, now).await?;
                if let (Some((number, occurred_at, meta)), Some(id)) = (order, contact_id) {
                    if status != "suppressed"
                        && state.store.claim_shop_order(caller.partner.id, &number, id, now).await?
                    {
                        let event = crate::store::NewEvent {
                            contact_id: id,
                            kind: EventKind::Purchase,
                            occurred_at,
                            campaign: String::new(),
                            meta,
                            detail: format!("Order {number}"),
                            actor: actor.clone(),
                        };
                        orders.push((number, event));
                    }
                }
                ShopResult { index, status, contact_id, error: None }
            }
        };
        match result.status {
            "created" => report.created += 1,
            "updated" => report.updated += 1,
            "unchanged" => report.unchanged += 1,
            "suppressed" => report.suppressed += 1,
            _ => report.refused += 1,
        }
        report.results.push(result);
    }
    if !orders.is_empty() {
        let (numbers, events): (Vec<String>, Vec<_>) = orders.into_iter().unzip();
        if let Err(e) = state.event_writer.record(&state.store, events).await {
            // Not recorded: the numbers are free again for the retry.
            state.store.release_shop_orders(caller.partner.id, &numbers).await?;
            return Err(e.into());
        }
    }
    Ok(report)
}

/// Creates or updates one contact, then subscribes it: its status, and its id unless
/// nothing was written.
async fn upsert_one(
    state: &AppState,
    read: Read,
    actor: &str,
    now: crate::model::Timestamp,
) -> Result<(&'static str, Option<ContactId>), ApiError> {
    let email = &read.fields.email;
    let known = state.store.known_addresses(&[email], None).await?;
    if !known.suppressed_hashes.is_empty() {
        return Ok(("suppressed", None));
    }
    let (status, id) = match known.contacts.first() {
        Some((c, _)) if c.suppression_reason.is_some() => return Ok(("suppressed", None)),
        Some((c, _)) => {
            let merged = crate::imports::rules::merge(&c.fields, &read.fields, true);
            if merged == c.fields {
                ("unchanged", c.id)
            } else {
                state.store.update_contact(c.id, &merged, now, actor).await?;
                ("updated", c.id)
            }
        }
        None => match state.store.insert_contact(&read.fields, now, actor).await {
            Ok(id) => ("created", id),
            Err(StoreError::Conflict { constraint }) if constraint == "suppression_list" => {
                return Ok(("suppressed", None))
            }
            // Created meanwhile by another door: this request's values fill it in.
            Err(StoreError::Conflict { .. }) => {
                let id = state.store.contact_id_by_email(email).await?.ok_or(ApiError::Internal)?;
                let current = state.store.contact(id).await?.ok_or(ApiError::Internal)?;
                let merged = crate::imports::rules::merge(&current.fields, &read.fields, true);
                state.store.update_contact(id, &merged, now, actor).await?;
                ("updated", id)
            }
            Err(e) => return Err(e.into()),
        },
    };
    // Suppressed between the two writes: its fields stand, nothing more is written.
    if !read.subscriptions.is_empty()
        && state.store.subscribe_contact(&read.fields, &read.subscriptions, now, actor).await?.is_none()
    {
        return Ok(("suppressed", Some(id)));
    }
    Ok((status, Some(id)))
}

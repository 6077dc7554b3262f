//! Lead submission: recorded and billed only when the address is new.

#[allow(unused_imports)]
use super::*;

/// The longest `source` a lead may name.
pub const MAX_LEAD_SOURCE_CHARS: usize = 96;

pub(super) fn invalid_lead(field: &str, message: &str) -> ApiError {
    ApiError::Invalid(format!("`{field}`: {message}"))
}

/// Turns a lead into the contact and consent Carnet would record, or says which field
/// is wrong. Pure apart from the newsletter names, which are passed in.
pub(super) fn read_lead(
    request: &LeadRequest,
    partner_name: &str,
    newsletters: &[crate::model::contact::Newsletter],
    now: crate::model::Timestamp,
) -> Result<(crate::model::ContactFields, Vec<crate::store::Consented>), ApiError> {
    if request.source.trim().chars().count() > MAX_LEAD_SOURCE_CHARS {
        return Err(invalid_lead("source", &format!("Keep it to {MAX_LEAD_SOURCE_CHARS} characters.")));
    }
    // The source detail is "partner · source": a partner's name is at most 100
    // characters, so both always fit the 200 a source detail takes.
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
    let today = now.date();
    let fields = form.validate(today).map_err(|errors| {
        let first = &errors.0[0];
        invalid_lead(&first.field, &first.message)
    })?;
    let consent = request
        .consent
        .as_ref()
        .ok_or_else(|| invalid_lead("consent", "Send the consent the person gave: text, form and when."))?;
    let subscriptions = read_consent(consent, &format!("partner:{partner_name}"), newsletters, now)?;
    Ok((fields, subscriptions))
}

/// The subscriptions a consent stands for, each with its evidence (the words, the form,
/// when, and `channel`), or which of its fields is wrong. Leads and the shop's contacts
/// read consent alike.
pub(super) fn read_consent(
    consent: &crate::partners::LeadConsent,
    channel: &str,
    newsletters: &[crate::model::contact::Newsletter],
    now: crate::model::Timestamp,
) -> Result<Vec<crate::store::Consented>, ApiError> {
    if consent.text.trim().is_empty() || consent.text.chars().count() > 2000 {
        return Err(invalid_lead(
            "consent.text",
            "Give the exact words the person agreed to (up to 2,000 characters).",
        ));
    }
    if consent.form.trim().is_empty() || consent.form.chars().count() > 200 {
        return Err(invalid_lead("consent.form", "Name the form or site, with its version (up to 200 characters)."));
    }
    let at = match consent.at.as_deref() {
        None => now,
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| invalid_lead("consent.at", "Give an RFC 3339 date and time, like 2026-11-23T10:00:00Z."))?
                .timestamp();
            let at = crate::model::Timestamp(at);
            // A few minutes of clock difference are tolerated, the future is not.
            if at > now + 300 {
                return Err(invalid_lead("consent.at", "The consent cannot be in the future."));
            }
            at
        }
    };
    let mut subscriptions: Vec<crate::store::Consented> = Vec::new();
    for (i, name) in consent.newsletters.iter().enumerate() {
        let newsletter = newsletters
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| invalid_lead(&format!("consent.newsletters[{i}]"), "Not a newsletter of this brand."))?;
        if !subscriptions.iter().any(|s| s.newsletter_id == newsletter.id) {
            let evidence = ConsentEvidence {
                at,
                channel: channel.to_string(),
                form: consent.form.trim().to_string(),
                text: consent.text.trim().to_string(),
            };
            subscriptions.push(crate::store::Consented { newsletter_id: newsletter.id, consent: evidence });
        }
    }
    Ok(subscriptions)
}

/// A lead whose body could not be read at all: refused, not billed, and counted on the
/// partner's statement with the other refusals.
pub async fn count_unreadable_lead(state: &AppState, caller: &PartnerKey, now: crate::model::Timestamp) {
    if let Err(e) = state.store.count_lead_refusal(caller.partner.id, &day_of(now), false).await {
        tracing::warn!(error = %e, "could not count a refused lead");
    }
}

/// A lead from a partner: recorded and billed if the address is new, refused (and not
/// billed) if it is known or invalid. Two partners racing with the same new address:
/// the unique email lets exactly one insert, and billing is in the same transaction.
pub async fn submit_lead(
    state: &AppState,
    caller: &PartnerKey,
    request: LeadRequest,
    now: crate::model::Timestamp,
) -> Result<LeadAccepted, ApiError> {
    let day = day_of(now);
    let partner = &caller.partner;
    let newsletters = state.store.open_newsletters().await?;
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

//! Personal links and the contact's own session. A link is 256 random bits, sent once
//! and stored as its SHA-256, bound to one contact and one purpose, valid for days and
//! used once. Following it (GET) only shows a "Continue" button, because mail scanners
//! fetch links; the POST uses it and opens a short session for that contact alone.

use crate::error::AppError;
use crate::model::profile::ProfileField;
use crate::platform::settings::{self, json_encode, Setting};
use crate::state::AppState;
use crate::store::{LinkRecord, StoreError};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};
use tower_sessions::Session;

pub const PROFILE: &str = "profile";
/// The session keys of a contact's own session (never a staff session's).
const SESSION_CONTACT: &str = "contact_id";
const SESSION_CONTACT_UNTIL: &str = "contact_until";
/// A contact's session lasts this long after the link is used.
pub const CONTACT_SESSION_SECS: i64 = 3600;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh personal link for the contact.
pub async fn new_link(
    state: &AppState,
    contact_id: crate::model::ContactId,
    now: crate::model::Timestamp,
) -> Result<String, StoreError> {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let expires = now + state.settings.profile_link_days * 86_400;
    state.store.create_link(contact_id, PROFILE, &token_hash(&token), now, expires).await?;
    Ok(format!("{}/p/{token}", state.settings.public_url.trim_end_matches('/')))
}

/// Mails the contact a fresh link (through the outbox); returns the mail's id.
pub async fn send_link(
    state: &AppState,
    contact_id: crate::model::ContactId,
    now: crate::model::Timestamp,
) -> Result<crate::model::MailId, AppError> {
    let contact = state.store.contact(contact_id).await?.ok_or(AppError::NotFound)?;
    if contact.suppressed_at.is_some() {
        // Bounced, complained, suppressed by staff or erased: no mail goes there.
        return Err(AppError::Refused("This address is suppressed: no mail is sent to it.".into()));
    }
    let link = new_link(state, contact_id, now).await?;
    let days = state.settings.profile_link_days;
    let hello = match contact.fields.first_name.trim() {
        "" => "Hello,".to_string(),
        name => format!("Hello {name},"),
    };
    let text = format!(
        "{hello}\n\nHere is your personal link to see and update what we know about you, \
         and choose what we send you:\n\n{link}\n\nIt works once, for {days} days. \
         If you did not ask for it, you can ignore this mail.\n"
    );
    let html = {
        use leptos::prelude::*;
        let works = format!("It works once, for {days} days. If you did not ask for it, you can ignore this mail.");
        view! {
            <p>{hello}</p>
            <p>"Here is your personal link to see and update what we know about you, and choose what we send you:"</p>
            <p><a href=link.clone()>"Open my profile"</a></p>
            <p>{works}</p>
        }
        .to_html()
    };
    let to = contact.fields.email.as_str();
    let mail =
        crate::mail::service::to_contact(state, contact_id, "profile_link", to, "Your personal link", &text, &html)
            .await?;
    Ok(crate::mail::service::queue(state, &mail).await?)
}

/// Why a link cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
}

/// Uses the link (once): its contact, or why not.
pub async fn use_link(
    state: &AppState,
    token: &str,
    now: crate::model::Timestamp,
) -> Result<Result<crate::model::ContactId, LinkProblem>, StoreError> {
    let hash = token_hash(token);
    if let Some(contact) = state.store.use_link(&hash, PROFILE, now).await? {
        return Ok(Ok(contact));
    }
    Ok(Err(match state.store.link(&hash, PROFILE).await? {
        None => LinkProblem::Unknown,
        Some(LinkRecord { used_at: Some(_), .. }) => LinkProblem::Used,
        Some(_) => LinkProblem::Expired,
    }))
}

/// The state of a link without using it (the GET page).
pub async fn check_link(
    state: &AppState,
    token: &str,
    now: crate::model::Timestamp,
) -> Result<Result<crate::model::ContactId, LinkProblem>, StoreError> {
    Ok(match state.store.link(&token_hash(token), PROFILE).await? {
        None => Err(LinkProblem::Unknown),
        Some(LinkRecord { used_at: Some(_), .. }) => Err(LinkProblem::Used),
        Some(link) if link.expires_at <= now => Err(LinkProblem::Expired),
        Some(link) => Ok(link.contact_id),
    })
}

/// Sends a new link to the address on file of an expired or used link's contact (the
/// person asks from the page that says so). Nothing for an unknown or still valid one.
pub async fn resend(state: &AppState, token: &str, now: crate::model::Timestamp) -> Result<bool, AppError> {
    match state.store.link(&token_hash(token), PROFILE).await? {
        Some(link) if link.used_at.is_some() || link.expires_at <= now => {
            match send_link(state, link.contact_id, now).await {
                Ok(_) => Ok(true),
                // A suppressed address gets nothing, and the page says the same as ever.
                Err(AppError::Refused(_)) => Ok(false),
                Err(e) => Err(e),
            }
        }
        _ => Ok(false),
    }
}

/// Opens the contact's own session: a new session id, the contact, and its end.
pub async fn open_session(
    session: &Session,
    contact_id: crate::model::ContactId,
    now: crate::model::Timestamp,
) -> Result<(), AppError> {
    let e = crate::auth::service::session_error;
    session.cycle_id().await.map_err(e)?;
    session.insert(SESSION_CONTACT, contact_id).await.map_err(e)?;
    session.insert(SESSION_CONTACT_UNTIL, now + CONTACT_SESSION_SECS).await.map_err(e)?;
    Ok(())
}

/// The contact whose session this is, if it has not ended.
pub async fn session_contact(
    state: &AppState,
    session: &Session,
    now: crate::model::Timestamp,
) -> Result<Option<crate::model::ContactId>, AppError> {
    let e = crate::auth::service::session_error;
    let until: Option<crate::model::Timestamp> = session.get(SESSION_CONTACT_UNTIL).await.map_err(e)?;
    if until.is_none_or(|u| u <= now) {
        return Ok(None);
    }
    let Some(id) = session.get::<crate::model::ContactId>(SESSION_CONTACT).await.map_err(e)? else {
        return Ok(None);
    };
    // Erased (from another session of theirs, or by staff) or deleted since: the
    // session no longer opens anything, and ends.
    if state.store.contact(id).await?.is_none_or(|c| c.is_erased()) {
        session.remove::<crate::model::ContactId>(SESSION_CONTACT).await.map_err(e)?;
        return Ok(None);
    }
    Ok(Some(id))
}

/// The fields a person sees on their page (stored as a JSON list of keys).
pub struct ProfileFields;

impl Setting for ProfileFields {
    const NAME: &'static str = "profile_fields";
    type Value = Vec<ProfileField>;
    fn decode(stored: Option<&str>) -> Vec<ProfileField> {
        crate::model::profile::fields_from_setting(stored)
    }
    fn encode(value: &Vec<ProfileField>) -> String {
        json_encode(&value.iter().map(|f| f.key()).collect::<Vec<_>>())
    }
}

pub async fn profile_fields(state: &AppState) -> Result<Vec<ProfileField>, StoreError> {
    settings::get::<ProfileFields>(state.store.as_ref()).await
}

/// Saves what the person typed in the fields shown to them (the others are kept as
/// they are), validated like a staff edit: nothing is saved if anything is wrong. A
/// profile update is an interaction. Returns the completion.
pub async fn save_profile(
    state: &AppState,
    contact_id: crate::model::ContactId,
    typed: &crate::model::ContactForm,
) -> Result<u8, AppError> {
    let contact = state.store.contact(contact_id).await?.ok_or(AppError::Unauthenticated)?;
    let fields = profile_fields(state).await?;
    let mut form = contact.fields.to_form();
    for f in &fields {
        f.set(&mut form, f.get(typed).to_string());
    }
    let valid = form.validate(chrono::Utc::now().date_naive()).map_err(AppError::Invalid)?;
    let now = crate::platform::clock::now();
    state.store.update_contact(contact_id, &valid, now, "the contact (profile page)").await?;
    let event = crate::store::NewEvent {
        contact_id,
        kind: crate::model::events::EventKind::ProfileUpdate,
        occurred_at: now,
        campaign: String::new(),
        meta: String::new(),
        detail: String::new(),
        actor: "profile page".into(),
    };
    // Accepted, not awaited: nothing on the page needs it applied, and a save must not
    // wait for whatever backlog the inbox holds.
    state.event_writer.record(&state.store, vec![event]).await?;
    crate::incentives::service::award_due(state, contact_id, &form, &fields, valid.email.as_str()).await?;
    Ok(crate::model::profile::completion(&form, &fields))
}

/// The person's own choice for one newsletter, with the words they clicked as evidence.
pub async fn set_preference(
    state: &AppState,
    contact_id: crate::model::ContactId,
    newsletter_id: crate::model::NewsletterId,
    subscribe: bool,
    lang: crate::model::profile::Lang,
) -> Result<(), AppError> {
    let newsletter =
        state.store.newsletters().await?.into_iter().find(|n| n.id == newsletter_id).ok_or(AppError::NotFound)?;
    if subscribe && newsletter.archived {
        return Err(AppError::NotFound);
    }
    let consent = crate::model::contact::ConsentEvidence {
        at: crate::platform::clock::now(),
        channel: "self-service".into(),
        form: "profile page (/me)".into(),
        text: super::preference_words(lang, &newsletter.name, subscribe),
    };
    let sub_state = if subscribe {
        crate::model::SubscriptionState::Subscribed
    } else {
        crate::model::SubscriptionState::Unsubscribed
    };
    state.store.set_subscription(contact_id, newsletter_id, sub_state, &consent).await?;
    Ok(())
}

/// The SHA-256 of a phone number's digits (with its leading + if any): what stays of
/// it after erasure, enough to recognise the number, not to call it.
pub fn phone_hash(phone: &str) -> String {
    let trimmed = phone.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let normalised = if trimmed.starts_with('+') { format!("+{digits}") } else { digits };
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// Pauses a newsletter for 1, 3 or 6 months (30 days each), or resumes it (`0`), with
/// the words of the choice as evidence.
pub async fn pause(
    state: &AppState,
    contact_id: crate::model::ContactId,
    newsletter_id: crate::model::NewsletterId,
    months: i64,
    lang: crate::model::profile::Lang,
) -> Result<(), AppError> {
    if ![0, 1, 3, 6].contains(&months) {
        return Err(AppError::BadRequest);
    }
    let newsletter =
        state.store.newsletters().await?.into_iter().find(|n| n.id == newsletter_id).ok_or(AppError::NotFound)?;
    let now = crate::platform::clock::now();
    let consent = crate::model::contact::ConsentEvidence {
        at: now,
        channel: "self-service".into(),
        form: "profile page (/me)".into(),
        text: super::pause_words(lang, &newsletter.name, months),
    };
    let until = (months > 0).then(|| now + months * 30 * 86_400);
    if !state.store.pause_subscription(contact_id, newsletter_id, until, &consent).await? {
        return Err(AppError::Refused(
            lang.t("You do not receive this newsletter.", "Vous ne recevez pas cette lettre.").into(),
        ));
    }
    Ok(())
}

/// Email or SMS, with the words chosen as evidence.
pub async fn set_channel(
    state: &AppState,
    contact_id: crate::model::ContactId,
    channel: &str,
    lang: crate::model::profile::Lang,
) -> Result<(), AppError> {
    let words = match channel {
        "email" => lang.t("By email", "Par email"),
        "sms" => lang.t("By SMS", "Par SMS"),
        _ => return Err(AppError::BadRequest),
    };
    state.store.set_preferred_channel(contact_id, channel, words, crate::platform::clock::now()).await.map_err(
        |e| match e {
            // Erased or deleted since the session opened: it is over.
            StoreError::NotFound => AppError::Unauthenticated,
            e => e.into(),
        },
    )?;
    Ok(())
}

/// "Delete me": erases the person's data (see `erase_contact`) and ends their session.
pub async fn erase_me(
    state: &AppState,
    session: &Session,
    contact_id: crate::model::ContactId,
) -> Result<(), AppError> {
    let contact = state.store.contact(contact_id).await?.ok_or(AppError::Unauthenticated)?;
    state.store.erase_contact(contact_id, &phone_hash(&contact.fields.phone), crate::platform::clock::now()).await?;
    tracing::info!(contact = %contact_id, "personal data erased at the person's request");
    let e = crate::auth::service::session_error;
    session.remove::<crate::model::ContactId>(SESSION_CONTACT).await.map_err(e)?;
    session.remove::<crate::model::Timestamp>(SESSION_CONTACT_UNTIL).await.map_err(e)?;
    Ok(())
}

/// "Download my data": everything Carnet holds about the person, as JSON.
pub async fn my_data(state: &AppState, contact_id: crate::model::ContactId) -> Result<serde_json::Value, AppError> {
    let contact = state.store.contact(contact_id).await?.ok_or(AppError::Unauthenticated)?;
    let subscriptions: Vec<serde_json::Value> = state
        .store
        .subscriptions(contact_id)
        .await?
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "newsletter": s.newsletter.name,
                "state": s.state.as_str(),
                "consent": { "at": s.consent.at, "channel": s.consent.channel, "form": s.consent.form, "text": s.consent.text },
            })
        })
        .collect();
    let timeline: Vec<serde_json::Value> = state
        .store
        .timeline(contact_id, 10_000)
        .await?
        .into_iter()
        .map(|a| serde_json::json!({ "kind": a.kind, "at": a.occurred_at, "detail": a.detail }))
        .collect();
    let rewards: Vec<serde_json::Value> = state
        .store
        .rewards_of(contact_id)
        .await?
        .into_iter()
        .map(|r| serde_json::json!({ "reward": r.reward, "code": r.code, "issued_at": r.issued_at, "redeemed_at": r.redeemed_at }))
        .collect();
    Ok(serde_json::json!({
        "exported_at": crate::platform::clock::now(),
        "profile": contact.fields,
        "acquired_at": contact.created_at,
        "purchases": contact.purchase_count,
        "subscriptions": subscriptions,
        "timeline": timeline,
        "rewards": rewards,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_hashes_ignore_formatting_but_not_the_country_prefix() {
        assert_eq!(phone_hash("+33 6 12-34.56 78"), phone_hash("+33612345678"));
        assert_ne!(phone_hash("+33612345678"), phone_hash("33612345678"));
        assert_eq!(phone_hash("  "), "");
        assert_eq!(phone_hash("0612345678").len(), 64);
    }
}

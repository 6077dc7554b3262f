//! The sign-up flows: the public form's defences and double opt-in, and staff's quick
//! entry.

use super::{consent_words, pow_solves, Submission, Ticket};
use crate::error::AppError;
use crate::mail::NewMail;
use crate::model::profile::Lang;
use crate::model::{Email, FieldErrors};
use crate::platform::signing::{Purpose, Signer};
use crate::state::AppState;
use crate::store::{NewSignup, SignupOutcome, SignupState, StoreError};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

/// A kiosk (a tablet handed to people at an event or in a shop) takes this many times
/// the network allowance: everyone there shares one address.
const KIOSK_FACTOR: i64 = 10;

/// The newsletters a form may offer.
pub async fn newsletters(state: &AppState) -> Result<Vec<crate::model::contact::Newsletter>, StoreError> {
    state.store.open_newsletters().await
}

/// How long a confirmation link works (people open mail late).
pub const CONFIRM_DAYS: i64 = 7;

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A fresh ticket for a form shown at `shown_at` (now, or when the person first saw a
/// form they are now correcting: the time trap is not set again for them).
pub async fn new_ticket(state: &AppState, shown_at: crate::model::Timestamp) -> Result<String, StoreError> {
    use rand::RngCore;
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let ticket = Ticket { t: shown_at, n: URL_SAFE_NO_PAD.encode(nonce), d: state.settings.signup.pow_bits };
    Ok(Signer::of(state).await?.sign(Purpose::SignupTicket, &ticket))
}

/// The network a rate limit counts: the address for IPv4, its /64 for IPv6 (one host
/// commonly holds a whole /64).
pub fn network_of(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        _ => ip.to_string(),
    }
}

/// What a submission leads to.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// "Check your mail": said to people and to bots alike. `queued` says whether a
    /// confirmation mail really went out (for tests and logs, never for the page).
    CheckMail { queued: bool },
    /// The form again, with these messages (the person typed something wrong, or the
    /// form was open too long), on a ticket dated `shown_at`: a person correcting a
    /// mistake keeps the time already spent, so the time trap is not set twice.
    Again { errors: FieldErrors, shown_at: crate::model::Timestamp },
}

/// The genuine ticket of a person's submission, or why it was taken for a bot's
/// (logged, never shown).
fn person_ticket(
    state: &AppState,
    signer: &Signer,
    s: &Submission,
    now: crate::model::Timestamp,
) -> Result<Ticket, &'static str> {
    if !s.honeypot.trim().is_empty() {
        return Err("honeypot filled");
    }
    let ticket = signer.verify::<Ticket>(Purpose::SignupTicket, &s.ticket).ok_or("no genuine ticket")?;
    if now - ticket.t < state.settings.signup.min_secs {
        return Err("sent too fast");
    }
    if !s.pow.is_empty() && !pow_solves(&s.ticket, &s.pow, ticket.d) {
        return Err("wrong proof of work");
    }
    Ok(ticket)
}

/// Whether `subject` went over `limit` in the last `window` seconds, counting this one.
async fn over_limit(
    state: &AppState,
    subject: &str,
    limit: i64,
    window: i64,
    now: crate::model::Timestamp,
) -> Result<bool, StoreError> {
    let failures = state.store.add_login_failure(subject, now, window).await?;
    Ok(failures.count > limit)
}

/// Takes a public sign-up: the defences, then the person's input, then a pending
/// sign-up and its confirmation mail. Nothing is stored or sent for a bot, an address
/// over its allowance, or a suppressed address, and they all get the same answer.
pub async fn submit(
    state: &AppState,
    s: &Submission,
    ip: &str,
    now: crate::model::Timestamp,
) -> Result<Verdict, AppError> {
    let defence = &state.settings.signup;
    let signer = Signer::of(state).await?;
    let quiet = Verdict::CheckMail { queued: false };
    let ticket = match person_ticket(state, &signer, s, now) {
        Ok(ticket) => ticket,
        Err(reason) => {
            tracing::info!(reason, "sign-up taken for a bot's: nothing stored");
            return Ok(quiet);
        }
    };
    let lang = s.lang;
    if now - ticket.t > defence.max_age_secs {
        let errors = FieldErrors::single(
            "email",
            lang.t(
                "This form was open for a long time: please send it again.",
                "Ce formulaire est resté ouvert longtemps : envoyez-le à nouveau.",
            ),
        );
        return Ok(Verdict::Again { errors, shown_at: now - defence.min_secs });
    }
    let solved = !s.pow.is_empty();
    let mut errors = FieldErrors::default();
    let email = Email::parse(&s.email)
        .map_err(|_| {
            errors.add(
                "email",
                lang.t("Enter an email address like name@example.com.", "Saisissez une adresse comme nom@exemple.fr."),
            )
        })
        .ok();
    let first_name = s.first_name.trim().to_string();
    if first_name.chars().count() > 100 {
        errors.add("first_name", lang.t("Keep it under 100 characters.", "100 caractères au plus."));
    }
    let newsletters = state.store.open_newsletters().await?;
    // Only what this form offers (an embedded form may offer a few).
    let offered = |id: crate::model::NewsletterId| s.offered.as_ref().is_none_or(|ids| ids.contains(&id));
    let chosen: Vec<_> = newsletters.iter().filter(|n| s.newsletters.contains(&n.id) && offered(n.id)).collect();
    if chosen.is_empty() {
        errors.add("newsletters", lang.t("Choose at least one newsletter.", "Choisissez au moins une lettre."));
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Ok(Verdict::Again { errors, shown_at: ticket.t });
    };

    // A ticket (and its proof of work) is good for one sign-up.
    if over_limit(state, &format!("signup-ticket:{}", sha256_hex(&s.ticket)), 1, defence.max_age_secs, now).await? {
        tracing::info!("sign-up taken for a bot's: a ticket used again");
        return Ok(quiet);
    }
    // The allowances count sign-ups that would be sent, not a person's typing mistakes.
    let network = network_of(ip);
    // The sign-ups through a kiosk link (made, listed and revocable by staff) share an
    // allowance of their own.
    let kiosk = super::kiosk::working(state, &s.kiosk, now).await?;
    let (subject, limit) = match (kiosk, solved) {
        (Some(link), _) => (format!("signup-kiosk:{}", link.id), defence.per_ip_hour * KIOSK_FACTOR),
        (None, true) => (format!("signup-ip:{network}"), defence.per_ip_hour),
        (None, false) => (format!("signup-ip-nojs:{network}"), defence.per_ip_hour_without_pow),
    };
    if over_limit(state, &subject, limit, 3600, now).await? {
        tracing::warn!("sign-up over the network address's hourly allowance: nothing stored");
        return Ok(quiet);
    }
    if over_limit(state, &format!("signup-to:{}", email.sha256_hex()), defence.per_address_day, 86_400, now).await? {
        tracing::warn!("sign-up over the address's daily allowance: no mail sent");
        return Ok(quiet);
    }
    if let Some(id) = state.store.contact_id_by_email(&email).await? {
        if state.store.contact(id).await?.is_some_and(|c| c.suppressed_at.is_some()) {
            // Bounced, complained or suppressed by staff: no mail goes there.
            return Ok(quiet);
        }
    }

    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let form = if s.embedded { "sign-up form /subscribe (embedded)" } else { "sign-up form /subscribe" };
    let detail: String = s.detail.trim().chars().take(100).collect();
    let signup = NewSignup {
        token_hash: sha256_hex(&token),
        email: email.clone(),
        first_name,
        channel: s.channel,
        source_detail: detail,
        lang: lang.code().into(),
        offers: chosen.iter().map(|n| (n.id, consent_words(lang, &n.name))).collect(),
        form: format!("{form}, {}", lang.code()),
        created_at: now,
        expires_at: now + CONFIRM_DAYS * 86_400,
    };
    state.store.create_signup(&signup).await?;
    let names: Vec<String> = chosen.iter().map(|n| n.name.clone()).collect();
    crate::mail::service::queue(state, &confirmation_mail(state, &email, &token, lang, &names)).await?;
    Ok(Verdict::CheckMail { queued: true })
}

fn confirmation_mail(state: &AppState, email: &Email, token: &str, lang: Lang, names: &[String]) -> NewMail {
    use leptos::prelude::*;
    let link = format!("{}/s/{token}?lang={}", state.settings.public_url.trim_end_matches('/'), lang.code());
    let list = names.join(", ");
    let (subject, ask, button, ignore) = match lang {
        Lang::En => (
            "Please confirm your subscription",
            format!("Please confirm that you want to receive {list}:"),
            "Confirm my subscription",
            format!("The link works for {CONFIRM_DAYS} days. If you did not sign up, ignore this mail: nothing will be sent to you."),
        ),
        Lang::Fr => (
            "Confirmez votre inscription",
            format!("Confirmez que vous souhaitez recevoir {list} :"),
            "Confirmer mon inscription",
            format!("Le lien est valable {CONFIRM_DAYS} jours. Si vous ne vous êtes pas inscrit, ignorez ce message : vous ne recevrez rien."),
        ),
    };
    NewMail {
        contact_id: None,
        kind: "signup_confirmation".into(),
        to: email.as_str().to_string(),
        subject: subject.into(),
        text: format!("{ask}\n\n{link}\n\n{ignore}\n"),
        html: view! { <p>{ask}</p><p><a href=link>{button}</a></p><p>{ignore}</p> }.to_html(),
        // Not a contact yet, and not a marketing mail: nothing to unsubscribe from.
        unsubscribe_url: None,
    }
}

/// Whether a confirmation link can be used, without using it (the GET page): `Ok`, or
/// why not (`Unknown`, `Expired` or `Used`).
pub async fn check_confirmation(
    state: &AppState,
    token: &str,
    now: crate::model::Timestamp,
) -> Result<Result<(), SignupOutcome>, StoreError> {
    Ok(match state.store.signup_state(&sha256_hex(token)).await? {
        None => Err(SignupOutcome::Unknown),
        Some(SignupState { confirmed_at: Some(_), .. }) => Err(SignupOutcome::Used),
        Some(SignupState { expires_at, .. }) if expires_at <= now => Err(SignupOutcome::Expired),
        Some(_) => Ok(()),
    })
}

/// Confirms a sign-up (the POST): the contact subscribed with its evidence, and the
/// submission counted as an interaction.
pub async fn confirm(state: &AppState, token: &str, now: crate::model::Timestamp) -> Result<SignupOutcome, AppError> {
    let outcome = state.store.confirm_signup(&sha256_hex(token), now).await?;
    if let SignupOutcome::Confirmed { contact_id, .. } = &outcome {
        let event = crate::store::NewEvent {
            contact_id: *contact_id,
            kind: crate::model::events::EventKind::FormSubmission,
            occurred_at: now,
            campaign: String::new(),
            meta: String::new(),
            detail: "sign-up confirmed".into(),
            actor: "sign-up form".into(),
        };
        // Confirmed already: a failure to count the interaction must not say otherwise.
        if let Err(e) = state.event_writer.record(&state.store, vec![event]).await {
            tracing::warn!(error = %e, "a confirmed sign-up's interaction was not recorded");
        }
        tracing::info!(contact = %contact_id, "sign-up confirmed");
    }
    Ok(outcome)
}

/// Throttles another public door that sends mail (e.g. "mail me a new link"): whether
/// this network address is still within the sign-up allowance.
pub async fn public_door_allowed(
    state: &AppState,
    door: &str,
    ip: &str,
    now: crate::model::Timestamp,
) -> Result<bool, StoreError> {
    Ok(!over_limit(state, &format!("{door}:{}", network_of(ip)), state.settings.signup.per_ip_hour, 3600, now).await?)
}

#[cfg(test)]
mod tests {
    use super::network_of;

    #[test]
    fn ipv6_hosts_count_by_their_64_and_ipv4_by_address() {
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), network_of("2001:db8:1:2:bbbb::9"));
        assert_ne!(network_of("2001:db8:1:2::1"), network_of("2001:db8:1:3::1"));
        assert_eq!(network_of("203.0.113.7"), "203.0.113.7");
        assert_eq!(network_of("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(network_of("unknown"), "unknown");
    }
}

//! Self-service: a contact's own page, opened with a personal link (`/p/<token>`, see
//! service.rs and the server crate's `http/public/self_service.rs`), at `/me`, in English or French. The
//! person corrects and completes the fields staff chose, with a completion meter that
//! the server and the browser compute with the same function, and chooses what they
//! receive; every choice is recorded with its consent evidence.

mod page;
#[cfg(feature = "ssr")]
pub mod refresh;
#[cfg(feature = "ssr")]
pub mod service;
mod settings;

pub use page::MePage;
pub use settings::{get_self_service_settings, SaveSelfServiceSettings, SelfServiceSettingsPage};

use crate::error::AppError;
use crate::model::profile::{completion, Lang, ProfileField};
use crate::model::ContactForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What Carnet holds about the person, as they see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub lang: Lang,
    pub email: String,
    /// The fields staff chose, in order.
    pub fields: Vec<ProfileField>,
    pub form: ContactForm,
    pub completion: u8,
    /// (newsletter id, name, subscribed).
    pub subscriptions: Vec<(crate::model::NewsletterId, String, bool)>,
    /// The rewards earned, with their codes.
    pub rewards: Vec<crate::incentives::Earned>,
    /// Newsletters paused, and until when.
    pub paused: Vec<(crate::model::NewsletterId, crate::model::Timestamp)>,
    /// "email" or "sms".
    pub channel: String,
}

#[cfg(feature = "ssr")]
async fn my_contact() -> Result<(crate::state::AppState, crate::model::ContactId), AppError> {
    let session = crate::auth::service::session()?;
    let state = crate::state::AppState::from_context()?;
    let id = service::session_contact(&state, &session, crate::platform::clock::now())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, id))
}

#[cfg(feature = "ssr")]
fn accept_language() -> String {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| {
            p.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string)
        })
        .unwrap_or_default()
}

/// The signed-in contact's own data; nothing without a contact session (a staff
/// session is not one).
#[server(endpoint = "me/get")]
pub async fn get_me(lang: Option<String>) -> Result<Me, AppError> {
    let (state, id) = my_contact().await?;
    let contact = state.store.contact(id).await?.ok_or(AppError::Unauthenticated)?;
    let fields = service::profile_fields(&state).await?;
    let form = contact.fields.to_form();
    let subscribed: std::collections::HashMap<crate::model::NewsletterId, bool> = state
        .store
        .subscriptions(id)
        .await?
        .into_iter()
        .map(|s| (s.newsletter.id, s.state == crate::model::SubscriptionState::Subscribed))
        .collect();
    // The open newsletters, and archived ones the person still receives (to leave them).
    let subscriptions = state
        .store
        .newsletters()
        .await?
        .into_iter()
        .map(|n| {
            let on = subscribed.get(&n.id).copied().unwrap_or(false);
            (n, on)
        })
        .filter(|(n, on)| !n.archived || *on)
        .map(|(n, on)| (n.id, n.name, on))
        .collect();
    Ok(Me {
        lang: Lang::pick(lang.as_deref(), &accept_language()),
        email: contact.fields.email.as_str().to_string(),
        completion: completion(&form, &fields),
        fields,
        form,
        subscriptions,
        rewards: state.store.rewards_of(id).await?,
        paused: state
            .store
            .paused_subscriptions(id)
            .await?
            .into_iter()
            .filter(|p| p.until > crate::platform::clock::now())
            .map(|p| (p.newsletter_id, p.until))
            .collect(),
        channel: state.store.preferred_channel(id).await?,
    })
}

/// Saves the person's own fields (only those shown to them); returns the completion.
#[server(endpoint = "me/save")]
pub async fn save_me(profile: ContactForm, lang: Option<String>) -> Result<u8, AppError> {
    let (state, id) = my_contact().await?;
    let percent = service::save_profile(&state, id, &profile).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/me?saved=1&lang={}", Lang::pick(lang.as_deref(), &accept_language()).code()));
    }
    Ok(percent)
}

/// Subscribes to or leaves one newsletter, with the words shown as the evidence.
#[server(endpoint = "me/subscription")]
pub async fn set_my_subscription(
    newsletter_id: crate::model::NewsletterId,
    subscribe: bool,
    lang: Option<String>,
) -> Result<(), AppError> {
    let (state, id) = my_contact().await?;
    let lang = Lang::pick(lang.as_deref(), &accept_language());
    service::set_preference(&state, id, newsletter_id, subscribe, lang).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/me?lang={}", lang.code()));
    }
    Ok(())
}

/// Pauses a newsletter for `months` (1, 3 or 6), or resumes it (0).
#[server(endpoint = "me/pause")]
pub async fn pause_newsletter(
    newsletter_id: crate::model::NewsletterId,
    months: i64,
    lang: Option<String>,
) -> Result<(), AppError> {
    let (state, id) = my_contact().await?;
    let lang = Lang::pick(lang.as_deref(), &accept_language());
    service::pause(&state, id, newsletter_id, months, lang).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/me?lang={}", lang.code()));
    }
    Ok(())
}

/// Email or SMS.
#[server(endpoint = "me/channel")]
pub async fn set_channel(channel: String, lang: Option<String>) -> Result<(), AppError> {
    let (state, id) = my_contact().await?;
    let lang = Lang::pick(lang.as_deref(), &accept_language());
    service::set_channel(&state, id, &channel, lang).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/me?lang={}", lang.code()));
    }
    Ok(())
}

/// The words of a pause (or resume), kept as its evidence.
pub fn pause_words(lang: Lang, newsletter: &str, months: i64) -> String {
    match (lang, months) {
        (Lang::En, 0) => format!("Resume “{newsletter}”"),
        (Lang::Fr, 0) => format!("Reprendre « {newsletter} »"),
        (Lang::En, 1) => format!("Pause “{newsletter}” for a month"),
        (Lang::Fr, 1) => format!("Mettre « {newsletter} » en pause pendant un mois"),
        (Lang::En, n) => format!("Pause “{newsletter}” for {n} months"),
        (Lang::Fr, n) => format!("Mettre « {newsletter} » en pause pendant {n} mois"),
    }
}

/// "Delete me", once the person ticked the confirmation.
#[server(endpoint = "me/erase")]
pub async fn erase_me(confirm: Option<String>, lang: Option<String>) -> Result<(), AppError> {
    let (state, id) = my_contact().await?;
    let lang = Lang::pick(lang.as_deref(), &accept_language());
    if confirm.is_none() {
        let mut errors = crate::model::FieldErrors::default();
        errors.add("confirm", lang.t("Tick the box to confirm.", "Cochez la case pour confirmer."));
        return Err(AppError::Invalid(errors));
    }
    service::erase_me(&state, &crate::auth::service::session()?, id).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/me?erased=1&lang={}", lang.code()));
    }
    Ok(())
}

/// Staff mail a contact their personal link (through the outbox).
#[server(endpoint = "contacts/send-link")]
pub async fn send_profile_link(contact_id: crate::model::ContactId) -> Result<(), AppError> {
    let user = crate::auth::service::require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let mail = service::send_link(&state, contact_id, crate::platform::clock::now()).await?;
    tracing::info!(contact = %contact_id, mail = %mail, by = %user.id, "personal link queued");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/contacts/{contact_id}?sent=link"));
    }
    Ok(())
}

/// The words of a subscription choice, kept as its consent evidence.
pub fn preference_words(lang: Lang, newsletter: &str, subscribe: bool) -> String {
    match (lang, subscribe) {
        (Lang::En, true) => format!("Send me “{newsletter}”"),
        (Lang::En, false) => format!("Stop sending me “{newsletter}”"),
        (Lang::Fr, true) => format!("Envoyez-moi « {newsletter} »"),
        (Lang::Fr, false) => format!("Ne m'envoyez plus « {newsletter} »"),
    }
}

//! The contact rules every entry point shares (pages, CLI, later the partner API).

use super::{ContactDetail, ContactDraft};
use crate::auth::service::{is_plain_form_post, require, session, session_error};
use crate::error::AppError;
use crate::model::contact::{ConsentEvidence, Newsletter};
use crate::model::{
    ContactFields, ContactForm, ContactId, ContactPage, ContactQuery, FieldErrors, Permission, SubscriptionState,
};
use crate::platform::clock::now;
use crate::state::AppState;
use crate::store::StoreError;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub async fn list(query: &ContactQuery) -> Result<ContactPage, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    let bounds = crate::engagement::service::settings(&state).await?.bounds(now());
    Ok(state.store.list_contacts(query, &bounds, ContactQuery::PAGE_SIZE).await?)
}

pub async fn detail(id: ContactId) -> Result<ContactDetail, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    let contact = state.store.contact(id).await?.ok_or(AppError::NotFound)?;
    Ok(ContactDetail {
        contact,
        subscriptions: state.store.subscriptions(id).await?,
        newsletters: state.store.newsletters().await?,
        timeline: state.store.timeline(id, 100).await?,
        settings: crate::engagement::service::settings(&state).await?,
    })
}

/// Maps a write refused by the unique email to the message with a link to the contact.
async fn duplicate(state: &AppState, fields: &ContactFields, error: StoreError) -> AppError {
    match error {
        StoreError::Conflict { constraint } if constraint == "contacts_email_key" => {
            match state.store.contact_id_by_email(&fields.email).await {
                Ok(Some(existing_id)) => AppError::DuplicateEmail { existing_id },
                _ => {
                    AppError::Invalid(FieldErrors::single("email", "A contact with this email address already exists."))
                }
            }
        }
        StoreError::Conflict { constraint } if constraint == "suppression_list" => AppError::Invalid(
            FieldErrors::single("email", "This address is on the suppression list: Carnet does not add it again."),
        ),
        other => other.into(),
    }
}

pub async fn create(form: &ContactForm) -> Result<ContactId, AppError> {
    let user = require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let fields = form.validate(today()).map_err(AppError::Invalid)?;
    match state.store.insert_contact(&fields, now(), &user.email).await {
        Ok(id) => Ok(id),
        Err(e) => Err(duplicate(&state, &fields, e).await),
    }
}

pub async fn update(id: ContactId, form: &ContactForm) -> Result<(), AppError> {
    let user = require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let fields = form.validate(today()).map_err(AppError::Invalid)?;
    match state.store.update_contact(id, &fields, now(), &user.email).await {
        Ok(()) => Ok(()),
        Err(e) => Err(duplicate(&state, &fields, e).await),
    }
}

pub async fn set_subscription(
    contact_id: crate::model::ContactId,
    newsletter_id: crate::model::NewsletterId,
    state_name: &str,
) -> Result<(), AppError> {
    let user = require(Permission::EditContacts).await?;
    let state = AppState::from_context()?;
    let Some(sub_state) = SubscriptionState::parse(state_name).filter(|s| *s != SubscriptionState::Pending) else {
        return Err(AppError::BadRequest);
    };
    state.store.contact(contact_id).await?.ok_or(AppError::NotFound)?;
    let newsletter =
        state.store.newsletters().await?.into_iter().find(|n| n.id == newsletter_id).ok_or(AppError::NotFound)?;
    if newsletter.archived && sub_state == SubscriptionState::Subscribed {
        return Err(AppError::Refused(format!("“{}” is archived: it takes no new subscriptions.", newsletter.name)));
    }
    let text = match sub_state {
        SubscriptionState::Subscribed => "Subscribed by staff at the person's request",
        _ => "Unsubscribed by staff at the person's request",
    };
    let consent = ConsentEvidence {
        at: now(),
        channel: format!("staff:{}", user.email),
        form: "contact page v1".into(),
        text: text.into(),
    };
    Ok(state.store.set_subscription(contact_id, newsletter_id, sub_state, &consent).await?)
}

pub async fn newsletters() -> Result<Vec<Newsletter>, AppError> {
    require(Permission::ViewContacts).await?;
    let state = AppState::from_context()?;
    Ok(state.store.newsletters().await?)
}

const DRAFT_KEY: &str = "contact_draft";

/// After a plain form post refused for what was typed (a field error, a duplicate
/// address), keeps it for the page the browser is sent back to. (With JavaScript on, the
/// inputs simply keep their values.) A post refused for who sent it keeps nothing: an
/// anonymous caller never gets a session row.
pub async fn keep_draft(form_id: &str, form: &ContactForm, refusal: &AppError) {
    let about_the_input =
        matches!(refusal, AppError::Invalid(_) | AppError::DuplicateEmail { .. } | AppError::Refused(_));
    if !about_the_input || !is_plain_form_post() {
        return;
    }
    if let Ok(session) = session() {
        let draft = ContactDraft { form_id: form_id.to_string(), form: form.clone() };
        if let Err(e) = session.insert(DRAFT_KEY, draft).await {
            tracing::warn!(error = %e, "could not keep the form draft");
        }
    }
}

/// The draft for this form, if the last refused post was for it; read once.
pub async fn take_draft(form_id: &str) -> Result<Option<ContactForm>, AppError> {
    require(Permission::EditContacts).await?;
    let session = session()?;
    let draft: Option<ContactDraft> = session.remove(DRAFT_KEY).await.map_err(session_error)?;
    Ok(draft.filter(|d| d.form_id == form_id).map(|d| d.form))
}

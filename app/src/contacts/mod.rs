//! Contacts: the list, the profile page, creating and editing, subscriptions.

mod detail;
mod edit;
pub mod export;
pub use export::export_form;
mod form;
mod list;
mod new;
#[cfg(feature = "ssr")]
pub mod service;

pub use detail::ContactPage;
pub use edit::EditContactPage;
pub(crate) use list::query_from_url;
pub use list::ContactsPage;
pub use new::NewContactPage;

use crate::error::AppError;
use crate::model::contact::{Activity, Newsletter, Subscription};
use crate::model::{Contact, ContactForm, ContactId, ContactPage as Page, ContactQuery};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Everything the profile page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub contact: Contact,
    pub subscriptions: Vec<Subscription>,
    pub newsletters: Vec<Newsletter>,
    pub timeline: Vec<Activity>,
    /// The engagement settings the status is computed with.
    pub settings: crate::model::engagement::EngagementSettings,
}

/// What was typed into a contact form the server refused, kept in the session for one
/// page view so that a plain form post (JavaScript off) does not lose it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactDraft {
    /// Which form: `new`, `edit:<id>`, `quick-entry`.
    pub form_id: String,
    pub form: ContactForm,
}

/// The id of a contact form, for its draft: a new contact's, or this contact's edit.
pub fn draft_id(contact_id: Option<crate::model::ContactId>) -> String {
    contact_id.map(|id| format!("edit:{id}")).unwrap_or_else(|| "new".into())
}

#[server(endpoint = "contacts/draft")]
pub async fn take_contact_draft(form_id: String) -> Result<Option<ContactForm>, AppError> {
    service::take_draft(&form_id).await
}

#[server(endpoint = "contacts/list")]
pub async fn list_contacts(query: ContactQuery) -> Result<Page, AppError> {
    service::list(&query).await
}

#[server(endpoint = "contacts/detail")]
pub async fn get_contact(id: ContactId) -> Result<ContactDetail, AppError> {
    service::detail(id).await
}

#[server(endpoint = "contacts/create")]
pub async fn create_contact(form: ContactForm) -> Result<ContactId, AppError> {
    let id = match service::create(&form).await {
        Ok(id) => id,
        Err(e) => {
            service::keep_draft(&draft_id(None), &form, &e).await;
            return Err(e);
        }
    };
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(id)
}

#[server(endpoint = "contacts/update")]
pub async fn update_contact(id: ContactId, form: ContactForm) -> Result<(), AppError> {
    if let Err(e) = service::update(id, &form).await {
        service::keep_draft(&draft_id(Some(id)), &form, &e).await;
        return Err(e);
    }
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(())
}

#[server(endpoint = "contacts/subscription")]
pub async fn set_subscription(
    contact_id: crate::model::ContactId,
    newsletter_id: crate::model::NewsletterId,
    state: String,
) -> Result<(), AppError> {
    service::set_subscription(contact_id, newsletter_id, &state).await
}

#[server(endpoint = "newsletters/list")]
pub async fn list_newsletters() -> Result<Vec<Newsletter>, AppError> {
    service::newsletters().await
}

//! Newsletters: what people subscribe to. Admins create, rename, describe, order and
//! archive them (an archived newsletter takes no new subscriptions and keeps its
//! subscribers' history and evidence); each is sent by email or by SMS.

mod page;
pub use page::{NewsletterPage, NewslettersPage};

use crate::error::AppError;
use crate::model::contact::{Newsletter, NewsletterForm};
use leptos::prelude::*;

/// Every newsletter, archived ones too, in their order on forms (every staff role).
#[server(endpoint = "newsletters/all")]
pub async fn all_newsletters() -> Result<Vec<Newsletter>, AppError> {
    use crate::auth::service::require;
    use crate::model::Permission;
    require(Permission::ViewContacts).await?;
    Ok(crate::state::AppState::from_context()?.store.newsletters().await?)
}

#[server(endpoint = "newsletters/create")]
pub async fn create_newsletter(form: NewsletterForm) -> Result<crate::model::NewsletterId, AppError> {
    use crate::auth::service::{is_plain_form_post, require};
    use crate::model::Permission;
    let admin = require(Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    let id = service::create(&state, &form).await?;
    tracing::info!(by = %admin.id, newsletter = %id, "newsletter created");
    if is_plain_form_post() {
        leptos_axum::redirect("/newsletters?created=1");
    }
    Ok(id)
}

#[server(endpoint = "newsletters/update")]
pub async fn update_newsletter(id: crate::model::NewsletterId, form: NewsletterForm) -> Result<(), AppError> {
    use crate::auth::service::{is_plain_form_post, require};
    use crate::model::Permission;
    let admin = require(Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    service::update(&state, id, &form).await?;
    tracing::info!(by = %admin.id, newsletter = %id, "newsletter changed");
    if is_plain_form_post() {
        leptos_axum::redirect(&format!("/newsletters/{id}?saved=1"));
    }
    Ok(())
}

/// Archives a newsletter (`archived`: "true") or brings it back ("false").
#[server(endpoint = "newsletters/archive")]
pub async fn archive_newsletter(id: crate::model::NewsletterId, archived: String) -> Result<(), AppError> {
    use crate::auth::service::{is_plain_form_post, require};
    use crate::model::Permission;
    let admin = require(Permission::ManageSettings).await?;
    let archived = match archived.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    let state = crate::state::AppState::from_context()?;
    let at = archived.then(crate::platform::clock::now);
    state.store.set_newsletter_archived(id, at).await?;
    tracing::info!(by = %admin.id, newsletter = %id, archived, "newsletter archived or reopened");
    if is_plain_form_post() {
        leptos_axum::redirect(&format!("/newsletters/{id}?saved=1"));
    }
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod service {
    use crate::error::AppError;
    use crate::model::contact::NewsletterForm;
    use crate::model::{FieldErrors, NewsletterId};
    use crate::state::AppState;
    use crate::store::StoreError;

    fn taken(error: StoreError) -> AppError {
        match error {
            StoreError::Conflict { .. } => {
                AppError::Invalid(FieldErrors::single("name", "A newsletter already has this name."))
            }
            other => other.into(),
        }
    }

    /// Creates a newsletter (the page and `carnet newsletter add`).
    pub async fn create(state: &AppState, form: &NewsletterForm) -> Result<NewsletterId, AppError> {
        let fields = form.validate().map_err(AppError::Invalid)?;
        state.store.create_newsletter(&fields).await.map_err(taken)
    }

    /// Renames, describes, moves a newsletter; its channel stays what its subscribers
    /// agreed to.
    pub async fn update(state: &AppState, id: NewsletterId, form: &NewsletterForm) -> Result<(), AppError> {
        let current = state.store.newsletters().await?.into_iter().find(|n| n.id == id).ok_or(AppError::NotFound)?;
        let mut form = form.clone();
        form.channel = current.channel.as_str().into();
        let fields = form.validate().map_err(AppError::Invalid)?;
        state.store.update_newsletter(id, &fields).await.map_err(taken)
    }
}

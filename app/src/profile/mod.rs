//! Self-service: a contact's own page, opened with a personal link (`/p/<token>`, see
//! service.rs and the server crate's `links.rs`), at `/me`.

#[cfg(feature = "ssr")]
pub mod service;

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What Carnet holds about the person, as they see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Newsletter and what the person chose.
    pub subscriptions: Vec<(String, String)>,
}

/// The signed-in contact's own data; nothing without a contact session (a staff
/// session is not one).
#[server(endpoint = "me/get")]
pub async fn get_me() -> Result<Me, AppError> {
    let session = crate::auth::service::session()?;
    let state = crate::state::AppState::from_context()?;
    let id = service::session_contact(&session, crate::state::now()).await?.ok_or(AppError::Unauthenticated)?;
    let contact = state.store.contact(id).await?.ok_or(AppError::Unauthenticated)?;
    let subscriptions = state
        .store
        .subscriptions(id)
        .await?
        .into_iter()
        .map(|s| (s.newsletter.name, s.state.label().to_string()))
        .collect();
    Ok(Me {
        first_name: contact.fields.first_name,
        last_name: contact.fields.last_name,
        email: contact.fields.email.as_str().to_string(),
        subscriptions,
    })
}

/// Staff mail a contact their personal link (through the outbox).
#[server(endpoint = "contacts/send-link")]
pub async fn send_profile_link(contact_id: i64) -> Result<(), AppError> {
    let user = crate::auth::service::require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let mail = service::send_link(&state, contact_id, crate::state::now()).await?;
    tracing::info!(contact = contact_id, mail, by = user.id, "personal link queued");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/contacts/{contact_id}?sent=link"));
    }
    Ok(())
}

#[component]
pub fn MePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <Title text="Your profile"/>
        <main class="public-page" id="main">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Err(AppError::Unauthenticated) => view! {
                            <h1>"Your profile"</h1>
                            <p>"This page opens with the personal link we mail you. Your link may have expired: open the most recent one, or ask us for a new one."</p>
                        }.into_any(),
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                        Ok(me) => view! {
                            <h1>{if me.first_name.is_empty() { "Your profile".to_string() } else { format!("Hello {}", me.first_name) }}</h1>
                            <section>
                                <h2>"What we know about you"</h2>
                                <dl>
                                    <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                                    <dt>"First name"</dt><dd>{me.first_name.clone()}</dd>
                                    <dt>"Last name"</dt><dd>{me.last_name.clone()}</dd>
                                </dl>
                            </section>
                            <section>
                                <h2>"What we send you"</h2>
                                {if me.subscriptions.is_empty() {
                                    view! { <p>"You are not subscribed to any newsletter."</p> }.into_any()
                                } else {
                                    view! { <ul>{me.subscriptions.into_iter().map(|(n, s)| view! { <li>{n}": "{s}</li> }).collect_view()}</ul> }.into_any()
                                }}
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

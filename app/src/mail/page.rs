//! `/mail`: the outbox for admins — what was sent, what waits (and why), what was given
//! up, with "send again".

use super::OutboxMail;
use crate::error::AppError;
use crate::ui::{format_instant, group_thousands};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    /// Whether an SMTP server is configured.
    pub configured: bool,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    /// Newest first, without their bodies.
    pub mails: Vec<OutboxMail>,
    /// The `before` of the next (older) page, if any.
    pub older: Option<crate::model::MailId>,
}

#[server(endpoint = "mail/outbox")]
pub async fn get_outbox(before: Option<crate::model::MailId>) -> Result<Outbox, AppError> {
    crate::auth::service::require(crate::model::Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    let crate::store::MailCounts { queued, sent, failed } = state.store.mail_counts().await?;
    let mut mails = state.store.recent_mails(before, PAGE + 1).await?;
    let older = (mails.len() as i64 > PAGE).then(|| mails[PAGE as usize - 1].id);
    mails.truncate(PAGE as usize);
    for m in &mut mails {
        m.text.clear();
        m.html.clear();
    }
    Ok(Outbox { configured: state.mailer.is_some(), queued, sent, failed, mails, older })
}

/// Makes a waiting or given-up message due now.
#[server(endpoint = "mail/retry")]
pub async fn retry_mail(id: crate::model::MailId) -> Result<(), AppError> {
    let user = crate::auth::service::require(crate::model::Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    if !state.store.retry_mail(id, crate::platform::clock::now()).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(mail = %id, by = %user.id, "mail set to be sent again");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/mail");
    }
    Ok(())
}

#[component]
pub fn MailPage() -> impl IntoView {
    let query = use_query_map();
    let retry = ServerAction::<RetryMail>::new();
    let before = move || query.read().get("before").and_then(|b| b.parse::<crate::model::MailId>().ok());
    let outbox = Resource::new(move || (before(), retry.version().get()), |(before, _)| get_outbox(before));
    view! {
        <Title text="Mail · Carnet"/>
        <header class="page-header"><h1>"Mail"</h1></header>
        {move || retry.value().get().and_then(|r| r.err()).map(|e| crate::ui::error_alert(&e))}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match outbox.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(o) => view! {
                        {(!o.configured).then(|| view! {
                            <p class="alert alert-error">"No SMTP server is configured (CARNET_SMTP_URL): mail waits here until one is."</p>
                        })}
                        <p>{format!("{} waiting · {} sent · {} given up", group_thousands(o.queued), group_thousands(o.sent), group_thousands(o.failed))}</p>
                        {if o.mails.is_empty() {
                            view! { <p class="empty">"Carnet has not sent any mail yet."</p> }.into_any()
                        } else {
                            view! {
                                <table class="table">
                                    <thead><tr><th>"Queued"</th><th>"To"</th><th>"Subject"</th><th>"State"</th><th>"Attempts"</th><th></th></tr></thead>
                                    <tbody>
                                        {o.mails.into_iter().map(|m| {
                                            let state = match m.state.as_str() {
                                                "sent" => format!("Sent {}", m.sent_at.map(format_instant).unwrap_or_default()),
                                                "failed" => format!("Given up: {}", m.last_error),
                                                _ if m.attempts == 0 => "Waiting to be sent".to_string(),
                                                _ => format!("Next try {} ({})", format_instant(m.next_attempt_at), m.last_error),
                                            };
                                            view! {
                                                <tr>
                                                    <td>{format_instant(m.created_at)}</td>
                                                    <td>{m.contact_id.map(|c| view! { <a href=format!("/contacts/{c}")>{m.to.clone()}</a> }.into_any()).unwrap_or_else(|| m.to.clone().into_any())}</td>
                                                    <td>{m.subject.clone()}</td>
                                                    <td>{state}</td>
                                                    <td>{m.attempts}</td>
                                                    <td>{(m.state != "sent").then(|| view! {
                                                        <ActionForm action=retry>
                                                            <input type="hidden" name="id" value=m.id.to_string()/>
                                                            <button type="submit" class="button button-quiet">"Send now"</button>
                                                        </ActionForm>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {o.older.map(|b| view! { <p><a href=format!("/mail?before={b}")>"Older mail"</a></p> })}
                            }.into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

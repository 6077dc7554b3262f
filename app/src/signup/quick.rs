//! `/quick-entry`: staff at a point of sale, a call centre or an event enter a person in
//! a few seconds. The channel and where (shop, campaign, show) are kept from one entry
//! to the next, the operator is recorded, and consent is asked in the words shown on
//! the page, which are stored as the evidence.

use crate::error::AppError;
use crate::model::{Channel, ContactForm};
use crate::ui::{ErrorSummary, Field, FieldKind};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;

/// This form's draft (what was typed, kept for a refused plain form post).
const DRAFT: &str = "quick-entry";

/// The words read out or shown to the person, stored with the newsletters ticked.
pub const QUICK_CONSENT: &str =
    "Do you agree to receive the newsletters ticked above by email? You can unsubscribe at any time from any of our mails.";

#[server(endpoint = "signup/quick")]
pub async fn quick_entry(
    form: ContactForm,
    newsletters: Option<HashMap<String, String>>,
    agreed: Option<String>,
    send_link: Option<String>,
) -> Result<crate::model::ContactId, AppError> {
    use crate::contacts::service::keep_draft;
    let user = crate::auth::service::require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let outcome = async {
        let chosen: Vec<crate::model::NewsletterId> =
            newsletters.unwrap_or_default().keys().filter_map(|k| k.parse().ok()).collect();
        let mut errors = crate::model::FieldErrors::default();
        let channel = Channel::parse(&form.channel).filter(|c| super::PUBLIC_CHANNELS.contains(c));
        if channel.is_none() {
            errors.add("channel", "Choose where the person is.");
        }
        if !chosen.is_empty() && agreed.is_none() {
            errors.add("agreed", "Read the words to the person and tick the box once they say yes.");
        }
        if chosen.is_empty() && agreed.is_some() {
            errors.add("newsletters", "Tick the newsletters the person said yes to.");
        }
        // Only the fields this page shows.
        let typed = ContactForm {
            email: form.email.clone(),
            first_name: form.first_name.clone(),
            last_name: form.last_name.clone(),
            phone: form.phone.clone(),
            channel: form.channel.clone(),
            source_detail: form.source_detail.clone(),
            ..Default::default()
        };
        let fields = match typed.validate(chrono::Utc::now().date_naive()) {
            Ok(f) if errors.is_empty() => f,
            Ok(_) => return Err(AppError::Invalid(errors)),
            Err(mut e) => {
                e.0.extend(errors.0);
                return Err(AppError::Invalid(e));
            }
        };
        let now = crate::platform::clock::now();
        let all = state.store.open_newsletters().await?;
        let ticked: Vec<_> = all.iter().filter(|n| chosen.contains(&n.id)).collect();
        let names: Vec<&str> = ticked.iter().map(|n| n.name.as_str()).collect();
        let where_ = match fields.source_detail.as_str() {
            "" => String::new(),
            d => format!(", {d}"),
        };
        let consent = crate::model::contact::ConsentEvidence {
            at: now,
            channel: fields.channel.as_str().into(),
            form: format!("quick entry by {}{where_}", user.email),
            text: format!("{QUICK_CONSENT} Ticked: {}. The person said yes.", names.join(", ")),
        };
        let subscriptions: Vec<_> =
            ticked.iter().map(|n| crate::store::Consented { newsletter_id: n.id, consent: consent.clone() }).collect();
        let Some(crate::store::Subscribed { contact_id: id, created }) =
            state.store.subscribe_contact(&fields, &subscriptions, now, &user.email).await?
        else {
            return Err(AppError::Refused(
                "This address is suppressed (bounced, complained or removed): it cannot be subscribed.".into(),
            ));
        };
        let mut sent = false;
        if send_link.is_some() {
            // The person is saved whatever happens to the mail.
            sent = match crate::self_service::service::send_link(&state, id, now).await {
                Ok(_) => true,
                Err(AppError::Refused(_)) => false,
                Err(e) => {
                    tracing::warn!(error = %e, contact = %id, "quick entry: the personal link was not queued");
                    false
                }
            };
        }
        tracing::info!(contact = %id, created, by = %user.id, "quick entry saved");
        let params = format!(
            "saved={id}&created={}&sent={}&channel={}&detail={}",
            created as u8,
            sent as u8,
            fields.channel.as_str(),
            crate::model::listing::url_encode(&fields.source_detail)
        );
        Ok((id, params))
    }
    .await;
    match outcome {
        Ok((id, params)) => {
            // The next person, with the same channel and place.
            leptos_axum::redirect(&format!("/quick-entry?{params}"));
            Ok(id)
        }
        Err(e) => {
            keep_draft(DRAFT, &form, &e).await;
            Err(e)
        }
    }
}

#[server(endpoint = "signup/quick/newsletters")]
pub async fn quick_entry_newsletters() -> Result<Vec<crate::model::contact::Newsletter>, AppError> {
    crate::auth::service::require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    Ok(state.store.open_newsletters().await?)
}

#[component]
pub fn QuickEntryPage() -> impl IntoView {
    let action = ServerAction::<QuickEntry>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = use_query_map();
    let q = move |k: &str| query.read().get(k).unwrap_or_default();
    // A save (with or without JavaScript) lands on this page with `?saved=…`: the banner
    // and a fresh form follow the URL. A refused save changes nothing, so what was typed
    // stays in the inputs (JavaScript on) or comes back from the draft (off).
    let saved = move || q("saved").parse::<i64>().ok().map(|id| (id, q("created") == "1", q("sent") == "1"));
    let data = Resource::new(
        move || (q("saved"), q("channel"), q("detail")),
        |(_, channel, detail)| async move {
            let draft = crate::contacts::take_contact_draft(DRAFT.to_string()).await?;
            let values = draft.unwrap_or_else(|| ContactForm { channel, source_detail: detail, ..Default::default() });
            Ok::<_, AppError>((values, quick_entry_newsletters().await?))
        },
    );
    view! {
        <Title text="Quick entry · Carnet"/>
        <header class="page-header"><h1>"Quick entry"</h1></header>
        <p class="page-intro">"At a point of sale, on the phone or at an event: enter the person, read them the words below, and save. The channel and place stay for the next person."</p>
        // The last save's banner, unless this page shows a refused one.
        {move || saved().filter(|_| error.get().is_none()).map(|(id, created, sent)| view! {
            <p class="alert alert-success" role="status">
                {if created { "Saved: a new contact." } else { "Saved: this person was already known; their details were kept and the newsletters added." }}
                {sent.then_some(" Their personal link is on its way.")}
                " " <a href=format!("/contacts/{id}")>"Open the contact"</a>
            </p>
        })}
        <ActionForm action=action>
            <ErrorSummary error/>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    Suspend::new(async move {
                        match data.await {
                            Err(e) => crate::ui::error_alert(&e).into_any(),
                            Ok((v, newsletters)) => {
                                let chosen_channel = v.channel.clone();
                                view! {
                                    <fieldset>
                                        <legend>"Where"</legend>
                                        <label for="field-channel">"Channel"</label>
                                        <select id="field-channel" name="form[channel]">
                                            {super::PUBLIC_CHANNELS.iter().filter(|c| **c != Channel::Web).map(|c| view! {
                                                <option value=c.as_str() selected=chosen_channel == c.as_str()>{c.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        {move || error.get().and_then(|e| e.field("channel")).map(|m| view! { <p class="field-error">{m}</p> })}
                                        <Field label="Shop, campaign or event" name="form[source_detail]" key="source_detail" value=v.source_detail.clone() error hint="e.g. Lyon Part-Dieu, or Spring salon 2026"/>
                                    </fieldset>
                                    <fieldset>
                                        <legend>"The person"</legend>
                                        <Field label="Email" name="form[email]" key="email" kind=FieldKind::Email value=v.email.clone() required=true error/>
                                        <Field label="First name" name="form[first_name]" key="first_name" value=v.first_name.clone() error/>
                                        <Field label="Last name" name="form[last_name]" key="last_name" value=v.last_name.clone() error/>
                                        <Field label="Phone" name="form[phone]" key="phone" kind=FieldKind::Tel value=v.phone.clone() error/>
                                    </fieldset>
                                    <fieldset>
                                        <legend>"Newsletters"</legend>
                                        {if newsletters.is_empty() {
                                            view! { <p class="empty">"No newsletters yet: an admin creates them on the " <a href="/newsletters">"Newsletters"</a> " page; until then, entries record no subscription."</p> }.into_any()
                                        } else {
                                            newsletters.into_iter().map(|n| view! {
                                                <label class="choice">
                                                    <input type="checkbox" name=format!("newsletters[{}]", n.id) value="on"/>
                                                    " "{n.name}
                                                </label>
                                            }).collect_view().into_any()
                                        }}
                                        {move || error.get().and_then(|e| e.field("newsletters")).map(|m| view! { <p class="field-error">{m}</p> })}
                                        <blockquote class="consent-words">{QUICK_CONSENT}</blockquote>
                                        <label class="choice">
                                            <input type="checkbox" name="agreed" value="yes"/>
                                            " The person said yes to these words"
                                        </label>
                                        {move || error.get().and_then(|e| e.field("agreed")).map(|m| view! { <p class="field-error">{m}</p> })}
                                    </fieldset>
                                    <label class="choice">
                                        <input type="checkbox" name="send_link" value="yes" checked=true/>
                                        " Mail them their personal link, to complete their profile"
                                    </label>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Suspense>
            <div class="form-actions">
                <button type="submit" class="button button-primary">"Save and next"</button>
            </div>
        </ActionForm>
    }
}

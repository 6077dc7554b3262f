//! `/settings/self-service`: which fields people see on their profile page (B2C and B2B
//! need different ones), and the yearly "update your data" mail.

use crate::error::AppError;
use crate::model::profile::{Lang, ProfileField, YearlyRefresh};
use crate::model::Permission;
use crate::ui::{allowed, ErrorSummary, Field, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelfServiceSettings {
    pub fields: Vec<ProfileField>,
    pub refresh: YearlyRefresh,
    /// Where the public sign-up form lives (for the links and the embed code shown).
    pub public_url: String,
    /// The kiosk links (editors only; empty otherwise), newest first.
    pub kiosk_links: Vec<KioskLinkRow>,
    /// The link just made by a plain form post (JavaScript off), shown this once.
    pub new_kiosk_url: Option<String>,
}

/// A kiosk link as the page lists it (its token is never kept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KioskLinkRow {
    pub id: u64,
    pub label: String,
    pub created_at: crate::model::Timestamp,
    pub expires_at: crate::model::Timestamp,
    pub revoked_at: Option<crate::model::Timestamp>,
}

#[cfg(feature = "ssr")]
const NEW_KIOSK_URL: &str = "new_kiosk_url";

/// Makes a kiosk link (editors): its address is answered once.
#[server(endpoint = "self-service/kiosk/create")]
pub async fn create_kiosk_link(label: String, days: String) -> Result<String, AppError> {
    use crate::signup::kiosk::{self, KioskRefusal, MAX_KIOSK_DAYS};
    let user = crate::auth::service::require(Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let days = days.trim().parse::<i64>().unwrap_or(0);
    let now = crate::platform::clock::now();
    let (link, token) = match kiosk::create(&state, &label, days, user.id, now).await? {
        Ok(made) => made,
        Err(KioskRefusal::Label) => {
            return Err(AppError::Invalid(crate::model::FieldErrors::single(
                "label",
                "Name the link (up to 100 characters), e.g. the show or the shop.",
            )))
        }
        Err(KioskRefusal::Days) => {
            return Err(AppError::Invalid(crate::model::FieldErrors::single(
                "days",
                format!("Enter a number of days from 1 to {MAX_KIOSK_DAYS}."),
            )))
        }
        Err(KioskRefusal::TooMany) => {
            return Err(AppError::Refused("50 kiosk links work already: revoke the ones no longer used first.".into()))
        }
    };
    let public = state.settings.public_url.trim_end_matches('/');
    let url = format!("{public}/subscribe?source=event&detail=&kiosk={token}");
    tracing::info!(by = %user.id, link = link.id, "kiosk link made");
    if crate::auth::service::is_plain_form_post() {
        let session = crate::auth::service::session()?;
        session.insert(NEW_KIOSK_URL, url.clone()).await.map_err(crate::auth::service::session_error)?;
        leptos_axum::redirect("/settings/self-service");
    }
    Ok(url)
}

/// Ends a kiosk link at once (editors), after a confirmation.
#[server(endpoint = "self-service/kiosk/revoke")]
pub async fn revoke_kiosk_link(id: u64, confirm: Option<String>) -> Result<(), AppError> {
    let user = crate::auth::service::require(Permission::EditContacts).await?;
    if confirm.is_none() {
        return Err(AppError::Refused(
            "Tick the box to confirm: the tablet's form stops taking its allowance at once.".into(),
        ));
    }
    let state = crate::state::AppState::from_context()?;
    if !crate::signup::kiosk::revoke(&state, id, crate::platform::clock::now()).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(by = %user.id, link = id, "kiosk link revoked");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/settings/self-service");
    }
    Ok(())
}

#[server(endpoint = "self-service/settings")]
pub async fn get_self_service_settings() -> Result<SelfServiceSettings, AppError> {
    let user = crate::auth::service::require(Permission::ViewContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let (kiosk_links, new_kiosk_url) = if user.role.allows(Permission::EditContacts) {
        let links = crate::signup::kiosk::list(&state).await?;
        let rows = links
            .into_iter()
            .map(|l| KioskLinkRow {
                id: l.id,
                label: l.label,
                created_at: l.created_at,
                expires_at: l.expires_at,
                revoked_at: l.revoked_at,
            })
            .collect();
        let session = crate::auth::service::session()?;
        let new = session.remove::<String>(NEW_KIOSK_URL).await.map_err(crate::auth::service::session_error)?;
        (rows, new)
    } else {
        (Vec::new(), None)
    };
    Ok(SelfServiceSettings {
        fields: super::service::profile_fields(&state).await?,
        refresh: super::refresh::yearly_refresh(&state).await?,
        public_url: state.settings.public_url.trim_end_matches('/').to_string(),
        kiosk_links,
        new_kiosk_url,
    })
}

#[server(endpoint = "self-service/settings/save")]
pub async fn save_self_service_settings(
    chosen: Option<HashMap<String, String>>,
    refresh_enabled: Option<String>,
    refresh_per_day: String,
) -> Result<(), AppError> {
    let user = crate::auth::service::require(Permission::ManageSettings).await?;
    let state = crate::state::AppState::from_context()?;
    let chosen = chosen.unwrap_or_default();
    // In the order of the page, whatever the order of the form.
    let fields: Vec<ProfileField> =
        ProfileField::ALL.iter().filter(|f| chosen.contains_key(f.key())).copied().collect();
    let mut errors = crate::model::FieldErrors::default();
    if fields.is_empty() {
        errors.add("chosen", "Choose at least one field.");
    }
    let per_day = match refresh_per_day.trim().parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) => n,
        _ => {
            errors.add("refresh_per_day", "Enter a whole number from 1 to 100,000.");
            0
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = crate::platform::clock::now();
    let refresh = YearlyRefresh { enabled: refresh_enabled.is_some(), per_day };
    crate::platform::settings::Batch::default()
        .with::<super::service::ProfileFields>(&fields)
        .with::<super::refresh::YearlyRefreshSetting>(&refresh)
        .save(state.store.as_ref(), now)
        .await?;
    tracing::info!(by = %user.id, "self-service settings saved");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/settings/self-service?saved=1");
    }
    Ok(())
}

#[component]
pub fn SelfServiceSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSelfServiceSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| get_self_service_settings());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let query = leptos_router::hooks::use_query_map();
    let saved = move || query.read().get("saved").is_some() || matches!(save.value().get(), Some(Ok(())));
    let me = use_context::<Me>();
    view! {
        <Title text="Self-service settings · Carnet"/>
        <header class="page-header"><h1>"Self-service settings"</h1></header>
        {move || saved().then(|| view! { <p class="alert alert-success" role="status">"Saved."</p> })}
        <ErrorSummary error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_save = allowed(me, Permission::ManageSettings).await;
                match current.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(s) => view! {
                        <ActionForm action=save>
                            <fieldset disabled=!can_save>
                                <legend>"Fields on the profile page"</legend>
                                <p class="field-hint">"Ask only for what you will use: birth dates and addresses for consumer brands, job titles and companies for business ones. The completion meter counts these fields."</p>
                                {ProfileField::ALL.iter().map(|f| view! {
                                    <label class="choice">
                                        <input type="checkbox" name=format!("chosen[{}]", f.key()) value="on" checked=s.fields.contains(f)/>
                                        " "{f.label(Lang::En)}
                                    </label>
                                }).collect_view()}
                                {move || error.get().and_then(|e| e.field("chosen")).map(|m| view! { <p class="field-error">{m}</p> })}
                            </fieldset>
                            <fieldset disabled=!can_save>
                                <legend>"Yearly refresh"</legend>
                                <label class="choice">
                                    <input type="checkbox" name="refresh_enabled" value="yes" checked=s.refresh.enabled/>
                                    " Mail their personal link to people whose profile has not been updated in 12 months"
                                </label>
                                <p class="field-hint">"Unsubscribed, suppressed and erased contacts are skipped, and so is anyone sent a link in the last year. The mail is spread over the day."</p>
                                <label for="refresh-per-day">"At most this many a day"</label>
                                <input id="refresh-per-day" name="refresh_per_day" inputmode="numeric" value=s.refresh.per_day.to_string()/>
                                {move || error.get().and_then(|e| e.field("refresh_per_day")).map(|m| view! { <p class="field-error">{m}</p> })}
                            </fieldset>
                            {can_save.then(|| view! { <button type="submit" class="button button-primary">"Save"</button> })}
                        </ActionForm>
                        <SignupForms public_url=s.public_url.clone()/>
                        {allowed(me, Permission::EditContacts).await.then(|| view! {
                            <KioskLinks links=s.kiosk_links.clone() new_url=s.new_kiosk_url.clone()/>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The public sign-up form's address for each channel, and the code that embeds it in
/// another site's page.
#[component]
fn SignupForms(public_url: String) -> impl IntoView {
    let embed = format!(
        "<iframe src=\"{public_url}/subscribe?embed=1&source=web\" title=\"Subscribe\" \
         style=\"width:100%;min-height:34rem;border:0\"></iframe>"
    );
    view! {
        <section class="card">
            <h2>"Sign-up forms"</h2>
            <p class="field-hint">"One public form for every channel: its address says where each subscriber came from. People confirm by mail before anything is stored. Add "<code>"&detail=…"</code>" for the shop, campaign or show, "<code>"&newsletters=1,2"</code>" to offer only some newsletters, and "<code>"&lang=fr"</code>" for French."</p>
            <ul class="plain-list">
                {crate::signup::PUBLIC_CHANNELS.iter().map(|c| {
                    let url = format!("{public_url}/subscribe?source={}", c.as_str());
                    view! { <li>{c.label()}": " <a href=url.clone()>{url.clone()}</a></li> }
                }).collect_view()}
            </ul>
            <label for="embed-code">"To embed the form in your site's pages"</label>
            <textarea id="embed-code" readonly rows="3">{embed}</textarea>
        </section>
    }
}

/// The kiosk links: made on purpose, listed, revocable; each address shown once.
#[component]
fn KioskLinks(links: Vec<KioskLinkRow>, new_url: Option<String>) -> impl IntoView {
    let create = ServerAction::<CreateKioskLink>::new();
    let revoke = ServerAction::<RevokeKioskLink>::new();
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    let made = move || create.value().get().and_then(|r| r.ok()).or_else(|| new_url.clone());
    let now = crate::ui::now_secs();
    view! {
        <section class="card" aria-labelledby="kiosk-h">
            <h2 id="kiosk-h">"Kiosk links"</h2>
            <p class="field-hint">"A tablet at an event or in a shop: everyone there shares one network address, which the form allows only a few sign-ups an hour. A kiosk link has an allowance of its own, ten times larger. Make one per tablet or event, and revoke it when it is over."</p>
            {move || made().map(|url| view! {
                <div class="alert alert-success" role="status">
                    <p>"Open this address on the tablet now: it is shown only this once."</p>
                    <p><a href=url.clone()>{url.clone()}</a></p>
                </div>
            })}
            <ErrorSummary error=revoke_error/>
            {if links.is_empty() {
                view! { <p>"No kiosk link yet: make one below for your next event."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="table">
                        <thead><tr><th scope="col">"Label"</th><th scope="col">"Made"</th><th scope="col">"Ends"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                        <tbody>
                        {links.into_iter().map(|l| {
                            let works = l.revoked_at.is_none() && l.expires_at > now;
                            let status = match (l.revoked_at, works) {
                                (Some(at), _) => format!("Revoked {}", crate::ui::format_instant(at)),
                                (None, true) => "Working".to_string(),
                                (None, false) => "Ended".to_string(),
                            };
                            let confirm_id = format!("kiosk-confirm-{}", l.id);
                            view! {
                                <tr>
                                    <td>{l.label.clone()}</td>
                                    <td>{crate::ui::format_day(l.created_at)}</td>
                                    <td>{crate::ui::format_day(l.expires_at)}</td>
                                    <td>{status}</td>
                                    <td>{works.then(|| view! {
                                        <ActionForm action=revoke>
                                            <div class="inline-form">
                                                <input type="hidden" name="id" value=l.id.to_string()/>
                                                <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes"/>
                                                <label for=confirm_id>"Confirm"</label>
                                                <button type="submit" class="button button-small">{format!("Revoke {}", l.label)}</button>
                                            </div>
                                        </ActionForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
            <ActionForm action=create>
                <ErrorSummary error=create_error/>
                <div class="grid-2">
                    <Field label="Label" name="label" key="label" required=true error=create_error hint="The show, the shop or the tablet"/>
                    <Field label="Works for (days)" name="days" key="days" value="30" required=true error=create_error hint="1 to 90"/>
                </div>
                <div class="form-actions"><button type="submit" class="button button-primary">"Make a kiosk link"</button></div>
            </ActionForm>
        </section>
    }
}

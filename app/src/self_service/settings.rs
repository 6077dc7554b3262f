//! `/settings/self-service`: which fields people see on their profile page (B2C and B2B
//! need different ones), and the yearly "update your data" mail.

use crate::error::AppError;
use crate::model::profile::{Lang, ProfileField, YearlyRefresh};
use crate::model::Permission;
use crate::ui::{allowed, ErrorSummary, Me};
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
    /// A fresh kiosk token for the form's links (staff only).
    pub kiosk: String,
}

#[server(endpoint = "self-service/settings")]
pub async fn get_self_service_settings() -> Result<SelfServiceSettings, AppError> {
    let user = crate::auth::service::require(Permission::ViewContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let kiosk = if user.role.allows(Permission::EditContacts) {
        crate::signup::service::kiosk_token(&state, crate::platform::clock::now()).await?
    } else {
        String::new()
    };
    Ok(SelfServiceSettings {
        fields: super::service::profile_fields(&state).await?,
        refresh: super::refresh::yearly_refresh(&state).await?,
        public_url: state.settings.public_url.trim_end_matches('/').to_string(),
        kiosk,
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
                        <SignupForms public_url=s.public_url.clone() kiosk=s.kiosk.clone()/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The public sign-up form's address for each channel, and the code that embeds it in
/// another site's page.
#[component]
fn SignupForms(public_url: String, kiosk: String) -> impl IntoView {
    let kiosk_url = format!("{public_url}/subscribe?source=event&detail=&kiosk={kiosk}");
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
            {(!kiosk.is_empty()).then(|| view! { <p>
                <strong>"A tablet at an event or in a shop"</strong>
                " — everyone there shares one network address, which the form allows only "
                "a few sign-ups an hour. This link (valid 30 days; set "<code>"source"</code>" and "<code>"detail"</code>") "
                "has an allowance of its own, ten times larger: "
                <a href=kiosk_url.clone()>{kiosk_url.clone()}</a>
            </p> })}
            <label for="embed-code">"To embed the form in your site's pages"</label>
            <textarea id="embed-code" readonly rows="3">{embed}</textarea>
        </section>
    }
}

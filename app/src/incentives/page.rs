//! `/incentives`: the programmes, with how many codes were given and used; a new
//! programme (codes generated, or a pool pasted in); used codes recorded from a file.

use super::{Incentive, ProgrammeForm, RedemptionSummary};
use crate::error::AppError;
use crate::model::profile::{Lang, ProfileField};
use crate::model::Permission;
use crate::ui::{allowed, format_instant, group_thousands, ErrorSummary, Field, FieldKind, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeRow {
    pub incentive: Incentive,
    pub issued: i64,
    pub redeemed: i64,
    pub pool_left: i64,
}

#[server(endpoint = "incentives/list")]
pub async fn list_incentives() -> Result<Vec<ProgrammeRow>, AppError> {
    crate::auth::service::require(crate::model::Permission::ViewContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let stats: std::collections::HashMap<crate::model::IncentiveId, crate::store::ProgrammeCounts> =
        state.store.incentive_stats().await?.into_iter().map(|c| (c.incentive_id, c)).collect();
    Ok(state
        .store
        .incentives()
        .await?
        .into_iter()
        .map(|incentive| {
            let (issued, redeemed, pool_left) =
                stats.get(&incentive.id).map_or((0, 0, 0), |c| (c.issued, c.redeemed, c.pool_left));
            ProgrammeRow { incentive, issued, redeemed, pool_left }
        })
        .collect())
}

#[server(endpoint = "incentives/create")]
pub async fn create_incentive(
    form: ProgrammeForm,
    required: Option<HashMap<String, String>>,
) -> Result<crate::model::IncentiveId, AppError> {
    let user = crate::auth::service::require(Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let form = ProgrammeForm {
        // In the page's order, whatever the form's.
        fields: ProfileField::ALL
            .iter()
            .filter(|f| required.as_ref().is_some_and(|r| r.contains_key(f.key())))
            .map(|f| f.key().to_string())
            .collect(),
        ..form
    };
    let id = match super::service::create_programme(&state, &form, crate::platform::clock::now()).await {
        Ok(created) => created.id,
        Err(e) => {
            // Without JavaScript the browser comes back to an empty form: keep what was typed.
            if crate::auth::service::is_plain_form_post() {
                if let Ok(session) = crate::auth::service::session() {
                    let _ = session.insert(DRAFT_KEY, &form).await;
                }
            }
            return Err(e);
        }
    };
    tracing::info!(incentive = %id, by = %user.id, "incentive programme created");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect("/incentives?created=1");
    }
    Ok(id)
}

#[cfg(feature = "ssr")]
const DRAFT_KEY: &str = "programme_draft";

/// What was typed into a refused "New programme" form without JavaScript; read once.
#[server(endpoint = "incentives/draft")]
pub async fn take_programme_draft() -> Result<Option<ProgrammeForm>, AppError> {
    crate::auth::service::require(Permission::EditContacts).await?;
    let session = crate::auth::service::session()?;
    session.remove(DRAFT_KEY).await.map_err(crate::auth::service::session_error)
}

/// The summary of the last file of used codes, shown once.
#[server(endpoint = "incentives/redemption-summary")]
pub async fn take_redemption_summary() -> Result<Option<RedemptionSummary>, AppError> {
    crate::auth::service::require(Permission::EditContacts).await?;
    let session = crate::auth::service::session()?;
    session.remove(super::REDEMPTION_SUMMARY_KEY).await.map_err(crate::auth::service::session_error)
}

#[component]
pub fn IncentivesPage() -> impl IntoView {
    let create = ServerAction::<CreateIncentive>::new();
    let rows = Resource::new(move || create.version().get(), |_| list_incentives());
    let me = use_context::<Me>();
    // Read once (a resource, not a call in the view that may run again).
    let draft = Resource::new(|| (), |_| take_programme_draft());
    let query = leptos_router::hooks::use_query_map();
    let created = move || query.read().get("created").is_some() || matches!(create.value().get(), Some(Ok(_)));
    let summary = Resource::new(
        move || query.read().get("redeemed").is_some(),
        |redeemed| async move {
            if redeemed {
                take_redemption_summary().await.ok().flatten()
            } else {
                None
            }
        },
    );
    view! {
        <Title text="Incentives · Carnet"/>
        <header class="page-header"><h1>"Incentives"</h1></header>
        <p class="muted">"Rewards for bringing a profile up to date, each earned at most once per person. Shops record used codes with a file below or through "<code>"POST /api/v1/redemptions"</code>" (a key with the redeem scope)."</p>
        {move || created().then(|| view! { <p class="alert alert-success" role="status">"Programme created."</p> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { summary.await.map(|s| view! { <RedemptionReport summary=s/> }) })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No incentive programme yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="table">
                            <thead><tr><th>"Programme"</th><th>"Reward"</th><th>"Earned when"</th><th>"Open"</th><th>"Codes given"</th><th>"Used"</th><th>"Left in pool"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let i = r.incentive;
                                    let trigger = if i.fields.is_empty() {
                                        format!("profile at {}%", i.threshold)
                                    } else {
                                        format!("profile at {}% with {}", i.threshold, i.fields.join(", "))
                                    };
                                    let open = match (i.active, i.valid_until) {
                                        (false, _) => "No (stopped)".to_string(),
                                        (true, None) => format!("Since {}", format_instant(i.valid_from)),
                                        (true, Some(u)) => format!("Until {}", format_instant(u)),
                                    };
                                    let pool = if i.code_source == "pool" { group_thousands(r.pool_left) } else { "generated".to_string() };
                                    view! {
                                        <tr>
                                            <td><a href=format!("/incentives/{}", i.id)>{i.name}</a></td><td>{i.reward}</td><td>{trigger}</td><td>{open}</td>
                                            <td>{group_thousands(r.issued)}</td><td>{group_thousands(r.redeemed)}</td><td>{pool}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if !allowed(me, Permission::EditContacts).await {
                    return None;
                }
                let draft = draft.await.ok().flatten().unwrap_or_else(|| ProgrammeForm {
                    threshold: "100".into(),
                    ..Default::default()
                });
                Some(view! {
                    <NewProgramme action=create draft/>
                    <RecordRedemptions/>
                })
            })}
        </Suspense>
    }
}

/// Why the last file of used codes was not taken (those taken go to a progress page
/// that ends with their summary).
#[component]
fn RedemptionReport(summary: RedemptionSummary) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert">
            <p>"The file of used codes was not recorded."</p>
            <ul>{summary.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
        </div>
    }
}

#[component]
fn NewProgramme(action: ServerAction<CreateIncentive>, draft: ProgrammeForm) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    // Once a programme is created (JavaScript on), the form empties for the next one, so
    // a second click cannot create it twice. (Without JavaScript the page reloads empty.)
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="card">
            <h2>"New programme"</h2>
            <ActionForm action=action node_ref=form>
                <ErrorSummary error/>
                <Field label="Name" name="form[name]" key="name" value=draft.name.clone() required=true error hint="For staff, e.g. “Complete profile, spring 2027”"/>
                <Field label="Reward" name="form[reward]" key="reward" value=draft.reward.clone() required=true error hint="What the person reads, e.g. “10% off your next order” or “Free shipping”"/>
                <Field label="Profile completion that earns it (%)" name="form[threshold]" key="threshold" value=draft.threshold.clone() error/>
                <fieldset>
                    <legend>"Fields that must also be filled (optional)"</legend>
                    {ProfileField::ALL.iter().map(|f| view! {
                        <label class="choice">
                            <input type="checkbox" name=format!("required[{}]", f.key()) value="on" checked=draft.fields.iter().any(|k| k == f.key())/>
                            " "{f.label(Lang::En)}
                        </label>
                    }).collect_view()}
                    {move || error.get().and_then(|e| e.field("fields")).map(|m| view! { <p class="field-error">{m}</p> })}
                </fieldset>
                <Field label="Open for (days)" name="form[valid_days]" key="valid_days" value=draft.valid_days.clone() error hint="Leave empty for no end."/>
                <Field label="Code prefix" name="form[prefix]" key="prefix" value=draft.prefix.clone() error hint="Put before generated codes, e.g. THANKS-"/>
                <Field label="Codes from your shop (optional)" name="form[codes]" key="codes" kind=FieldKind::TextArea value=draft.codes.clone() error hint="One a line. With codes here, each person gets one of them and none is generated."/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Create programme"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RecordRedemptions() -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Record used codes"</h2>
            <p class="field-hint">"A CSV file from your shop (up to 32 MB): one code a line, optionally followed by when it was used ("<code>"code,redeemed_at"</code>"; comma, semicolon or tab; dates like 2026-11-23 or 2026-11-23 14:05 in UTC, or RFC 3339). Codes already recorded are counted once; the file is recorded in the background, with its progress."</p>
            <form method="post" action="/incentives/redemptions" enctype="multipart/form-data">
                <label for="redemptions-file">"File"</label>
                <input id="redemptions-file" type="file" name="file" accept=".csv,text/csv,text/plain" required/>
                <div class="form-actions">
                    <button type="submit" class="button">"Record these codes"</button>
                </div>
            </form>
        </section>
    }
}

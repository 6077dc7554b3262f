//! `/incentives/<id>`: one programme, the codes it gave (to whom, when, and whether they
//! were used), a page at a time, and stopping or resuming it.

use super::{Incentive, IssuedCode};
use crate::error::AppError;
use crate::model::Permission;
use crate::ui::{allowed, format_instant, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// Codes on a page.
#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeView {
    pub incentive: Incentive,
    pub codes: Vec<IssuedCode>,
    /// `?before=` for the next (older) page, if there is one.
    pub older: Option<i64>,
}

#[server(endpoint = "incentives/codes")]
pub async fn programme_codes(id: crate::model::IncentiveId, before: Option<i64>) -> Result<ProgrammeView, AppError> {
    // The codes are vouchers, worth money until used: not for read-only accounts.
    crate::auth::service::require(Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let incentive = state.store.incentives().await?.into_iter().find(|i| i.id == id).ok_or(AppError::NotFound)?;
    let mut codes = state.store.issued_codes(id, before, PAGE + 1).await?;
    let older = (codes.len() as i64 > PAGE).then(|| {
        codes.truncate(PAGE as usize);
        codes.last().map(|c| c.id)
    });
    Ok(ProgrammeView { incentive, codes, older: older.flatten() })
}

#[server(endpoint = "incentives/active")]
pub async fn set_programme_active(id: crate::model::IncentiveId, active: bool) -> Result<(), AppError> {
    let user = crate::auth::service::require(Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    if !state.store.set_incentive_active(id, active).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(incentive = %id, active, by = %user.id, "incentive programme stopped or resumed");
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/incentives/{id}"));
    }
    Ok(())
}

#[component]
pub fn ProgrammePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<crate::model::IncentiveId>().ok())
            .unwrap_or(crate::model::IncentiveId(0))
    };
    let before = move || query.read().get("before").and_then(|s| s.parse::<i64>().ok());
    let toggle = ServerAction::<SetProgrammeActive>::new();
    let data =
        Resource::new(move || (id(), before(), toggle.version().get()), |(id, before, _)| programme_codes(id, before));
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_edit = allowed(me, Permission::EditContacts).await;
                match data.await {
                    Err(e) => view! { <Title text="Incentive · Carnet"/>{crate::ui::error_alert(&e)} }.into_any(),
                    Ok(p) => {
                        let i = p.incentive;
                        let title = format!("{} · Incentives · Carnet", i.name);
                        let (label, next) = if i.active { ("Stop this programme", false) } else { ("Resume this programme", true) };
                        view! {
                            <Title text=title/>
                            <header class="page-header">
                                <h1>{i.name.clone()}</h1>
                                {can_edit.then(|| view! {
                                    <ActionForm action=toggle>
                                        <input type="hidden" name="id" value=i.id.to_string()/>
                                        <input type="hidden" name="active" value=next.to_string()/>
                                        <button type="submit" class="button">{label}</button>
                                    </ActionForm>
                                })}
                            </header>
                            <p>
                                {format!("Reward: {}. ", i.reward)}
                                {if i.active { "Open: people who meet its trigger get a code." } else { "Stopped: no new codes are given." }}
                            </p>
                            <p><a href="/incentives">"All programmes"</a></p>
                            <h2>"Codes given"</h2>
                            {if p.codes.is_empty() {
                                view! { <p class="empty">"No code given yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table">
                                        <thead><tr><th>"Code"</th><th>"Given to"</th><th>"Given"</th><th>"Used"</th></tr></thead>
                                        <tbody>
                                            {p.codes.into_iter().map(|c| view! {
                                                <tr>
                                                    <td><code>{c.code}</code></td>
                                                    <td>{match (c.contact_id, c.email) {
                                                        (Some(id), Some(email)) => view! { <a href=format!("/contacts/{id}")>{email}</a> }.into_any(),
                                                        _ => view! { <span class="muted">"(deleted)"</span> }.into_any(),
                                                    }}</td>
                                                    <td>{format_instant(c.issued_at)}</td>
                                                    <td>{c.redeemed_at.map(format_instant).unwrap_or_else(|| "—".into())}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {p.older.map(|before| view! {
                                <p><a class="button" href=format!("/incentives/{}?before={before}", i.id)>"Older codes"</a></p>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

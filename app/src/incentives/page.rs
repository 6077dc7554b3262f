//! `/incentives`: the programmes, with how many codes were given and used.

use super::Incentive;
use crate::error::AppError;
use crate::ui::{format_instant, group_thousands};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

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
    let stats: std::collections::HashMap<i64, (i64, i64, i64)> =
        state.store.incentive_stats().await?.into_iter().map(|(id, i, r, p)| (id, (i, r, p))).collect();
    Ok(state
        .store
        .incentives()
        .await?
        .into_iter()
        .map(|incentive| {
            let (issued, redeemed, pool_left) = stats.get(&incentive.id).copied().unwrap_or_default();
            ProgrammeRow { incentive, issued, redeemed, pool_left }
        })
        .collect())
}

#[component]
pub fn IncentivesPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| list_incentives());
    view! {
        <Title text="Incentives · Carnet"/>
        <header class="page-header"><h1>"Incentives"</h1></header>
        <p class="muted">"Rewards for bringing a profile up to date, each earned at most once per person. Add one with "<code>"carnet incentive add"</code>"; shops record used codes through "<code>"POST /api/v1/redemptions"</code>" (a key with the redeem scope)."</p>
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
                                            <td>{i.name}</td><td>{i.reward}</td><td>{trigger}</td><td>{open}</td>
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
    }
}

//! `/engagement`: where the base stands and where it is going. Rendered whole on the
//! server from the stored dashboard document; works without JavaScript.

use super::charts::{status_class, AttritionGauge, ShareBar, StatusBars, TrendChart, ORDER};
use super::{get_dashboard, percent, Dashboard, RefreshDashboard, SourceSummary};
use crate::model::engagement::EngagementStatus;
use crate::model::listing::Cleaning;
use crate::model::Channel;
use crate::ui::{format_instant, group_thousands};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EngagementPage() -> impl IntoView {
    let refresh = ServerAction::<RefreshDashboard>::new();
    let dashboard = Resource::new(move || refresh.version().get(), |_| get_dashboard());
    view! {
        <Title text="Engagement · Carnet"/>
        <header class="page-header">
            <div>
                <h1>"Engagement"</h1>
                <p class="muted">"Where the base stands, where it is going, and what to clean."</p>
            </div>
            <div class="header-actions">
                <a class="button" href="/engagement/import">"Import events"</a>
                <a class="button" href="/engagement/settings">"Settings"</a>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => view! { <DashboardView d refresh/> }.into_any(),
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn pct(part: i64, whole: i64) -> String {
    format!("{:.1}%", percent(part, whole))
}

fn channel_label(channel: &str) -> String {
    Channel::parse(channel).map(|c| c.label().to_string()).unwrap_or_else(|| channel.to_string())
}

#[component]
fn DashboardView(d: Dashboard, refresh: ServerAction<RefreshDashboard>) -> impl IntoView {
    let t = d.settings.thresholds.clone();
    let opens = if d.settings.opens_count {
        "opens count as interactions"
    } else {
        "opens do not count (privacy proxies fake them)"
    };
    let worst = d
        .sources
        .iter()
        .filter(|s| s.contacts >= 20)
        .max_by(|a, b| a.share(EngagementStatus::Inactive).total_cmp(&b.share(EngagementStatus::Inactive)))
        .cloned();
    let a = d.attrition.clone();
    let idle_months = d.settings.idle_months;
    let cleaning: Vec<(String, i64, String)> = vec![
        ("Never opened".into(), d.never_opened, format!("/contacts?clean={}", Cleaning::NeverOpened.as_str())),
        ("Never clicked".into(), d.never_clicked, format!("/contacts?clean={}", Cleaning::NeverClicked.as_str())),
        (format!("No interaction in {idle_months} months"), d.idle, format!("/contacts?clean=idle&idle={idle_months}")),
        ("Hard bounces".into(), d.hard_bounces, format!("/contacts?clean={}", Cleaning::HardBounce.as_str())),
        ("Complaints".into(), d.complaints, format!("/contacts?clean={}", Cleaning::Complaint.as_str())),
        ("In the inactive pool".into(), d.pooled, "/contacts?pool=inactive".into()),
    ];
    if d.total == 0 {
        return view! {
            <div class="empty-state">
                <p>"No contacts yet: the dashboard fills in as contacts and their interactions arrive."</p>
                <a href="/contacts/new">"Add a contact"</a>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="as-of">
            <p class="muted small">
                {format!("As of {} UTC · {} contacts · recent ≤ {} days, engaged ≤ {}, disengaged ≤ {}, then inactive; new for {} days · {}.",
                    format_instant(d.taken_at), group_thousands(d.total), t.recent_days, t.engaged_days, t.disengaged_days, t.new_days, opens)}
            </p>
            <crate::ui::IfAllowed permission=crate::model::Permission::EditContacts>
                <ActionForm action=refresh>
                    <button type="submit" class="button button-quiet button-small">"Refresh now"</button>
                </ActionForm>
            </crate::ui::IfAllowed>
        </div>
        <section class="card" aria-labelledby="now-h">
            <h2 id="now-h">"Now"</h2>
            <StatusBars counts=d.counts total=d.total/>
            <p class="muted small">
                {format!("{} of the inactive never engaged at all.", group_thousands(d.never_engaged))}
                " " <a href="/contacts?status=inactive">"See the inactive contacts"</a>
            </p>
        </section>
        <section class="card" aria-labelledby="trend-h">
            <h2 id="trend-h">"The last 24 months"</h2>
            {if d.months.len() < 2 {
                view! { <p class="muted">"The trend builds up month by month: one snapshot is taken at the end of every month."</p> }.into_any()
            } else {
                view! { <TrendChart months=d.months.clone()/> }.into_any()
            }}
            <Legend/>
        </section>
        <section class="card" aria-labelledby="sources-h">
            <h2 id="sources-h">"Which sources produce inactives"</h2>
            {worst.map(|w| view! {
                <p class="callout">
                    {format!("{} ({}) has the largest share of inactive contacts: {}.",
                        if w.source.is_empty() { "(no source detail)".to_string() } else { w.source.clone() },
                        channel_label(&w.channel), pct(w.counts[EngagementStatus::Inactive.index()], w.contacts))}
                </p>
            })}
            <SourceTable rows=d.channels.clone() by_source=false/>
            <h3>"By source"</h3>
            <SourceTable rows=d.sources.clone() by_source=true/>
        </section>
        <section class="card" aria-labelledby="attrition-h">
            <h2 id="attrition-h">"Attrition over the last 12 months"</h2>
            <p>
                {format!("{} of the {} contacts present a year ago were lost: {}.",
                    group_thousands(a.lost()), group_thousands(a.base), pct(a.lost(), a.base))}
                {if a.percent() > 25.0 { " Above the usual 25% a year." } else { " Within the usual 25% a year." }}
            </p>
            <AttritionGauge percent=a.percent()/>
            <dl class="inline-dl">
                <div class="dl-row"><dt>"Unsubscribed or complained"</dt><dd>{group_thousands(a.unsubscribed)}</dd></div>
                <div class="dl-row"><dt>"Hard bounced"</dt><dd>{group_thousands(a.bounced)}</dd></div>
                <div class="dl-row"><dt>"Went inactive"</dt><dd>{group_thousands(a.gone_inactive)}</dd></div>
            </dl>
        </section>
        <section class="card" aria-labelledby="cleaning-h">
            <h2 id="cleaning-h">"List cleaning"</h2>
            <p class="muted">"Each count opens its list, where you can move the contacts to the inactive pool, suppress them or export them."</p>
            <ul class="tiles">
                {cleaning.into_iter().map(|(label, n, href)| view! {
                    <li><a class="tile" href=href><span class="tile-value">{group_thousands(n)}</span><span class="tile-label">{label}</span></a></li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// Contacts, engaged and inactive shares, and the status mix, per channel (each a link
/// to its contacts) or per source detail (with its channel).
#[component]
fn SourceTable(rows: Vec<SourceSummary>, by_source: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">{if by_source { "Source" } else { "Channel" }}</th>
                        {by_source.then(|| view! { <th scope="col">"Channel"</th> })}
                        <th scope="col" class="num">"Contacts"</th>
                        <th scope="col" class="num">"Engaged"</th>
                        <th scope="col" class="num">"Inactive"</th>
                        <th scope="col" class="hide-narrow">"Mix"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let inactive = r.counts[EngagementStatus::Inactive.index()];
                        let name = if !by_source {
                            view! { <a href=format!("/contacts?channel={}", r.channel)>{channel_label(&r.channel)}</a> }.into_any()
                        } else if r.source.is_empty() {
                            "(none)".into_any()
                        } else {
                            r.source.clone().into_any()
                        };
                        view! {
                            <tr>
                                <th scope="row">{name}</th>
                                {by_source.then(|| view! { <td>{channel_label(&r.channel)}</td> })}
                                <td class="num">{group_thousands(r.contacts)}</td>
                                <td class="num">{format!("{:.1}%", r.engaged_share())}</td>
                                <td class="num">{pct(inactive, r.contacts)}</td>
                                <td class="hide-narrow"><ShareBar summary=r.clone()/></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="legend">
            {ORDER.iter().map(|s| view! {
                <li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" class=status_class(*s)/></svg>{s.label()}</li>
            }).collect_view()}
        </ul>
    }
}

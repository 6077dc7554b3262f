//! Charts as server-rendered SVG: they need no JavaScript, print, and scale. Each one
//! comes with its numbers in text (titles, labels or a table) for screen readers.

use super::{MonthCounts, SourceSummary};
use crate::model::engagement::EngagementStatus;
use crate::ui::group_thousands;
use leptos::prelude::*;

/// The CSS class that colours a status (see style/main.css).
pub fn status_class(s: EngagementStatus) -> &'static str {
    match s {
        EngagementStatus::RecentActivity => "st-recent",
        EngagementStatus::Engaged => "st-engaged",
        EngagementStatus::Disengaged => "st-disengaged",
        EngagementStatus::Inactive => "st-inactive",
        EngagementStatus::New => "st-new",
    }
}

/// Statuses from the most to the least engaged (the order of every chart).
pub const ORDER: [EngagementStatus; 5] = [
    EngagementStatus::RecentActivity,
    EngagementStatus::Engaged,
    EngagementStatus::Disengaged,
    EngagementStatus::Inactive,
    EngagementStatus::New,
];

fn pct(part: i64, whole: i64) -> String {
    format!("{:.1}%", super::percent(part, whole))
}

/// One horizontal bar per status, each a link to the matching contacts.
#[component]
pub fn StatusBars(counts: [i64; 5], total: i64) -> impl IntoView {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let row_h = 34;
    let height = row_h * ORDER.len() as i64;
    view! {
        <svg class="chart" viewBox=format!("0 0 640 {height}") role="img" aria-labelledby="status-bars-title">
            <title id="status-bars-title">"Contacts per engagement status"</title>
            {ORDER.iter().enumerate().map(|(i, s)| {
                let n = counts[s.index()];
                let w = (n as f64 / max as f64 * 360.0).max(if n > 0 { 2.0 } else { 0.0 });
                let y = i as i64 * row_h;
                view! {
                    <a href=format!("/contacts?status={}", s.as_str())>
                        <text x="0" y=y + 21 class="chart-label">{s.label()}</text>
                        <rect x="150" y=y + 6 width=format!("{w:.1}") height="22" rx="3" class=status_class(*s)>
                            <title>{format!("{}: {} ({})", s.label(), group_thousands(n), pct(n, total))}</title>
                        </rect>
                        <text x=format!("{:.1}", 158.0 + w) y=y + 21 class="chart-value">
                            {format!("{} · {}", group_thousands(n), pct(n, total))}
                        </text>
                    </a>
                }
            }).collect_view()}
        </svg>
    }
}

/// Stacked columns, one per month, with the data as a table under a disclosure.
#[component]
pub fn TrendChart(months: Vec<MonthCounts>) -> impl IntoView {
    let (w, h, left, bottom) = (720.0, 260.0, 56.0, 24.0);
    let max = months.iter().map(|m| m.counts.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let slot = (w - left) / 24.0;
    let bar = slot * 0.72;
    let scale = (h - bottom - 8.0) / max as f64;
    let ticks: Vec<i64> = (0..=4).map(|i| max * i / 4).collect();
    let table = months.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="img" aria-labelledby="trend-title">
            <title id="trend-title">"Contacts per status at the end of each month"</title>
            {ticks.into_iter().map(|t| {
                let y = h - bottom - t as f64 * scale;
                view! {
                    <line x1=left x2=w y1=format!("{y:.1}") y2=format!("{y:.1}") class="chart-grid"/>
                    <text x=left - 6.0 y=format!("{:.1}", y + 4.0) class="chart-axis" text-anchor="end">{group_thousands(t)}</text>
                }
            }).collect_view()}
            {months.into_iter().enumerate().map(|(i, m)| {
                let x = left + i as f64 * slot + (slot - bar) / 2.0;
                let mut y = h - bottom;
                let label = (i % 3 == 0).then(|| m.month.clone());
                let total: i64 = m.counts.iter().sum();
                let segments = ORDER.iter().map(|s| {
                    let n = m.counts[s.index()];
                    let seg = n as f64 * scale;
                    y -= seg;
                    view! {
                        <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{seg:.1}") class=status_class(*s)>
                            <title>{format!("{} · {}: {} of {}", m.month, s.label(), group_thousands(n), group_thousands(total))}</title>
                        </rect>
                    }
                }).collect_view();
                view! {
                    <g>{segments}</g>
                    {label.map(|l| view! { <text x=format!("{:.1}", x + bar / 2.0) y=h - 6.0 class="chart-axis" text-anchor="middle">{l}</text> })}
                }
            }).collect_view()}
        </svg>
        <details class="chart-data">
            <summary>"The numbers"</summary>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr><th scope="col">"Month"</th>{ORDER.iter().map(|s| view! { <th scope="col" class="num">{s.label()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {table.into_iter().map(|m| view! {
                            <tr><th scope="row">{m.month.clone()}</th>{ORDER.iter().map(|s| view! { <td class="num">{group_thousands(m.counts[s.index()])}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

/// A 100%-wide stacked bar: a source's contacts by status.
#[component]
pub fn ShareBar(summary: SourceSummary) -> impl IntoView {
    let mut x = 0.0;
    let label = ORDER
        .iter()
        .map(|s| format!("{} {}", s.label(), pct(summary.counts[s.index()], summary.contacts)))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <svg class="share-bar" viewBox="0 0 200 14" preserveAspectRatio="none" role="img" aria-label=label>
            {ORDER.iter().map(|s| {
                let w = super::percent(summary.counts[s.index()], summary.contacts) * 2.0;
                let rect = view! { <rect x=format!("{x:.2}") y="0" width=format!("{w:.2}") height="14" class=status_class(*s)/> };
                x += w;
                rect
            }).collect_view()}
        </svg>
    }
}

/// The share lost over a year against the usual 25 %.
#[component]
pub fn AttritionGauge(percent: f64) -> impl IntoView {
    let max = 50.0_f64.max(percent.ceil());
    let w = 600.0;
    let at = |p: f64| 10.0 + p / max * (w - 20.0);
    let class = if percent > 25.0 { "gauge-bad" } else { "gauge-good" };
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} 56") role="img" aria-labelledby="gauge-title">
            <title id="gauge-title">{format!("Lost over the last 12 months: {percent:.1}%, against the usual 25%")}</title>
            <rect x="10" y="14" width=w - 20.0 height="16" rx="3" class="gauge-track"/>
            <rect x="10" y="14" width=format!("{:.1}", at(percent) - 10.0) height="16" rx="3" class=class/>
            <line x1=at(25.0) x2=at(25.0) y1="6" y2="38" class="gauge-mark"/>
            <text x=at(25.0) y="52" text-anchor="middle" class="chart-axis">"25% a year (usual)"</text>
            <text x="10" y="52" class="chart-axis">"0%"</text>
            <text x=w - 10.0 y="52" text-anchor="end" class="chart-axis">{format!("{max:.0}%")}</text>
        </svg>
    }
}

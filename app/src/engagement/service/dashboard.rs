//! The dashboard refresh: one pass over the base (grouped by source and status, with
//! the list-cleaning counts), one for attrition, the month's snapshot; the result is
//! stored as one document that page views read.

use super::{settings, DAY};
use crate::engagement::{BreakdownRow, Dashboard, MonthCounts, SourceSummary};
use crate::state::AppState;
use crate::store::StoreError;
use chrono::{Datelike, Months, NaiveDate};

pub const SNAPSHOT_NAME: &str = "engagement_dashboard";
/// A page view older than this triggers a background refresh.
pub const STALE_AFTER_SECS: i64 = 15 * 60;
/// Sources listed on the dashboard (the rest are summed in the channels table).
const TOP_SOURCES: usize = 20;

/// `YYYY-MM` of an instant, and of the month `back` months before it.
pub fn month_label(now: crate::model::Timestamp, back: u32) -> String {
    let day = now.date();
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
    (first - Months::new(back)).format("%Y-%m").to_string()
}

/// Sums the store's rows into what the page shows.
pub fn summarise(rows: &[BreakdownRow]) -> Dashboard {
    let mut d = Dashboard::default();
    let mut channels: std::collections::BTreeMap<String, SourceSummary> = Default::default();
    let mut sources: std::collections::HashMap<(String, String), SourceSummary> = Default::default();
    for r in rows {
        let i = r.status.index();
        d.total += r.contacts;
        d.counts[i] += r.contacts;
        d.never_engaged += r.never_engaged;
        d.never_opened += r.never_opened;
        d.never_clicked += r.never_clicked;
        d.idle += r.idle;
        d.hard_bounces += r.hard_bounces;
        d.complaints += r.complaints;
        d.suppressed += r.suppressed;
        d.pooled += r.pooled;
        let ch = channels
            .entry(r.channel.clone())
            .or_insert_with(|| SourceSummary { channel: r.channel.clone(), ..Default::default() });
        ch.contacts += r.contacts;
        ch.counts[i] += r.contacts;
        let src = sources.entry((r.channel.clone(), r.source.clone())).or_insert_with(|| SourceSummary {
            channel: r.channel.clone(),
            source: r.source.clone(),
            ..Default::default()
        });
        src.contacts += r.contacts;
        src.counts[i] += r.contacts;
    }
    d.channels = channels.into_values().collect();
    d.channels.sort_by_key(|c| std::cmp::Reverse(c.contacts));
    let mut sources: Vec<SourceSummary> = sources.into_values().collect();
    sources.sort_by(|a, b| b.contacts.cmp(&a.contacts).then_with(|| a.source.cmp(&b.source)));
    sources.truncate(TOP_SOURCES);
    d.sources = sources;
    d
}

/// Recomputes the dashboard at `now` and stores it (and this month's snapshot).
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, now: crate::model::Timestamp) -> Result<Dashboard, StoreError> {
    let settings = settings(state).await?;
    let bounds = settings.bounds(now);
    let rows = state.store.engagement_breakdown(&bounds, bounds.idle_from(settings.idle_months)).await?;
    let mut d = summarise(&rows);
    let t = &settings.thresholds;
    d.attrition =
        state.store.attrition(&bounds, now - 365 * DAY, now, t.disengaged_days * DAY, t.new_days * DAY).await?;
    let this_month = MonthCounts { month: month_label(now, 0), counts: d.counts };
    state.store.put_engagement_month(&this_month, now).await?;
    d.months = state.store.engagement_months(&month_label(now, 23)).await?;
    d.taken_at = now;
    d.settings = settings;
    let body = serde_json::to_string(&d).map_err(|e| StoreError::Database(e.to_string()))?;
    state.store.put_snapshot(SNAPSHOT_NAME, now, &body).await?;
    Ok(d)
}

/// The stored dashboard, computed first if there is none or the settings changed
/// since. A stale one is still shown (with its time) while housekeeping refreshes it.
pub async fn dashboard(state: &AppState, now: crate::model::Timestamp) -> Result<Dashboard, StoreError> {
    if let Some(snapshot) = state.store.snapshot(SNAPSHOT_NAME).await? {
        if let Ok(d) = serde_json::from_str::<Dashboard>(&snapshot.body) {
            // An empty one is recomputed: it may predate the first contacts.
            if d.total > 0 && d.settings == settings(state).await? {
                return Ok(d);
            }
        }
    }
    refresh(state, now).await
}

/// Housekeeping: refreshes the stored dashboard when it is older than `STALE_AFTER_SECS`.
pub async fn refresh_if_stale(state: &AppState, now: crate::model::Timestamp) -> Result<bool, StoreError> {
    match state.store.snapshot(SNAPSHOT_NAME).await? {
        Some(snapshot) if now - snapshot.taken_at < STALE_AFTER_SECS => Ok(false),
        _ => refresh(state, now).await.map(|_| true),
    }
}

//! The yearly refresh: once a year, people whose profile has not changed are mailed
//! their personal link, an hourly share of the day's allowance at a time.

use super::service::send_link;
use crate::error::AppError;
use crate::model::profile::YearlyRefresh;
use crate::platform::settings::{self, json_decode, json_encode, Setting};
use crate::state::AppState;
use crate::store::StoreError;

const YEAR: i64 = 365 * 86_400;

/// Whether the yearly refresh runs, and how many links a day at most.
pub struct YearlyRefreshSetting;

impl Setting for YearlyRefreshSetting {
    const NAME: &'static str = "yearly_refresh";
    type Value = YearlyRefresh;
    fn decode(stored: Option<&str>) -> YearlyRefresh {
        json_decode(Self::NAME, stored)
    }
    fn encode(value: &YearlyRefresh) -> String {
        json_encode(value)
    }
}

/// When the yearly refresh last sent an hour's share (claimed by compare-and-set).
struct RefreshLastRun;

impl Setting for RefreshLastRun {
    const NAME: &'static str = "yearly_refresh_last_run";
    type Value = Option<crate::model::Timestamp>;
    fn decode(stored: Option<&str>) -> Option<crate::model::Timestamp> {
        stored.and_then(|v| v.parse().ok()).map(crate::model::Timestamp)
    }
    fn encode(value: &Option<crate::model::Timestamp>) -> String {
        value.unwrap_or_default().to_string()
    }
}

pub async fn yearly_refresh(state: &AppState) -> Result<YearlyRefresh, StoreError> {
    settings::get::<YearlyRefreshSetting>(state.store.as_ref()).await
}

/// One hour's share of the yearly refresh (run hourly by housekeeping): mails the
/// personal link to contacts whose profile has not changed in a year, at most
/// `per_day / 24` an hour so the mail is spread over the day, skipping unsubscribed,
/// suppressed and erased contacts and those sent a link in the last year. Returns how
/// many were queued.
pub async fn yearly_refresh_tick(state: &AppState, now: crate::model::Timestamp) -> Result<usize, AppError> {
    let settings = yearly_refresh(state).await?;
    if !settings.enabled || settings.per_day <= 0 {
        return Ok(0);
    }
    let last_run = settings::read::<RefreshLastRun>(state.store.as_ref()).await?;
    if now - last_run.value.unwrap_or_default() < 3_600 {
        return Ok(0); // this hour's share was sent (by this instance or another)
    }
    // The hour is claimed by one instance only: the one whose compare-and-set wins.
    if !settings::replace(state.store.as_ref(), &last_run, &Some(now), now).await? {
        return Ok(0);
    }
    let share = (settings.per_day + 23) / 24;
    let due = state.store.contacts_to_refresh(now - YEAR, now - YEAR, share).await?;
    for contact in &due {
        send_link(state, *contact, now).await?;
    }
    if !due.is_empty() {
        tracing::info!(sent = due.len(), "yearly refresh links queued");
    }
    Ok(due.len())
}

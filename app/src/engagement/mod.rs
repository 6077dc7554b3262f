//! Engagement: interactions in (events API, tracking links, staff, CSV imports),
//! statuses out (a range of one indexed instant, so never stale), the `/engagement`
//! dashboard and the list-cleaning bulk actions.

mod bulk;
mod charts;
mod import;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
mod settings;

pub use bulk::{describe as describe_list, BulkPage, JobPage};
pub use import::ImportPage;
pub use page::EngagementPage;
pub use settings::EngagementSettingsPage;

use crate::error::AppError;
use crate::model::engagement::{EngagementSettings, EngagementStatus};
use crate::model::ContactQuery;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[server(endpoint = "engagement/dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    service::dashboard_for_staff().await
}

/// Recomputes the dashboard now (it is otherwise refreshed every 15 minutes).
#[server(endpoint = "engagement/refresh")]
pub async fn refresh_dashboard() -> Result<(), AppError> {
    service::refresh_for_staff().await?;
    leptos_axum::redirect("/engagement");
    Ok(())
}

#[server(endpoint = "engagement/bulk-count")]
pub async fn bulk_count(query: ContactQuery) -> Result<i64, AppError> {
    service::bulk_count(&query).await
}

/// Starts a bulk action on the list `list` (a `/contacts` query string), once confirmed.
#[server(endpoint = "engagement/bulk")]
pub async fn start_bulk(
    list: String,
    action: String,
    confirm: Option<String>,
) -> Result<crate::model::JobId, AppError> {
    let id = service::bulk_for_staff(&list, &action, confirm.is_some()).await?;
    leptos_axum::redirect(&format!("/jobs/{id}"));
    Ok(id)
}

#[server(endpoint = "jobs/get")]
pub async fn get_job(id: crate::model::JobId) -> Result<Job, AppError> {
    service::job_for_staff(id).await
}

#[server(endpoint = "jobs/list")]
pub async fn list_jobs() -> Result<Vec<Job>, AppError> {
    service::jobs_for_staff().await
}

/// The problems found in the last refused import (once: they are removed as read).
#[server(endpoint = "engagement/import-errors")]
pub async fn take_import_errors() -> Result<Vec<String>, AppError> {
    crate::auth::service::require(crate::model::Permission::EditContacts).await?;
    let session = crate::auth::service::session()?;
    Ok(session
        .remove::<Vec<String>>(service::IMPORT_ERRORS_KEY)
        .await
        .map_err(crate::auth::service::session_error)?
        .unwrap_or_default())
}

#[server(endpoint = "contacts/interaction")]
pub async fn add_interaction(
    contact_id: crate::model::ContactId,
    kind: String,
    day: String,
    note: String,
) -> Result<(), AppError> {
    service::add_interaction(contact_id, &kind, &day, &note).await?;
    if crate::auth::service::is_plain_form_post() {
        leptos_axum::redirect(&format!("/contacts/{contact_id}"));
    }
    Ok(())
}

#[server(endpoint = "engagement/settings")]
pub async fn get_engagement_settings() -> Result<EngagementSettings, AppError> {
    service::settings_for_staff().await
}

#[server(endpoint = "engagement/settings/save")]
pub async fn save_engagement_settings(
    recent_days: String,
    engaged_days: String,
    disengaged_days: String,
    new_days: String,
    idle_months: String,
    opens_count: Option<String>,
) -> Result<(), AppError> {
    let mut errors = crate::model::FieldErrors::default();
    let mut number = |field: &str, text: &str| -> i64 {
        text.trim().parse::<i64>().unwrap_or_else(|_| {
            errors.add(field, "Enter a whole number.");
            0
        })
    };
    let settings = EngagementSettings {
        thresholds: crate::model::engagement::Thresholds {
            recent_days: number("recent_days", &recent_days),
            engaged_days: number("engaged_days", &engaged_days),
            disengaged_days: number("disengaged_days", &disengaged_days),
            new_days: number("new_days", &new_days),
        },
        idle_months: number("idle_months", &idle_months),
        opens_count: opens_count.is_some(),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    service::save_settings_for_staff(settings).await?;
    leptos_axum::redirect("/engagement/settings?saved=1");
    Ok(())
}

/// Contacts per status at the end of a month (`YYYY-MM`), in `EngagementStatus::ALL` order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthCounts {
    pub month: String,
    pub counts: [i64; 5],
}

/// One acquisition source (channel + source detail) and one status, as the store
/// groups the base. The dashboard sums these rows in every direction it needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    pub channel: String,
    pub source: String,
    pub status: EngagementStatus,
    pub contacts: i64,
    pub never_engaged: i64,
    pub never_opened: i64,
    pub never_clicked: i64,
    pub idle: i64,
    pub hard_bounces: i64,
    pub complaints: i64,
    pub suppressed: i64,
    pub pooled: i64,
}

/// Contacts lost over a period, among those present at its start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attrition {
    /// Contacts created before the period began.
    pub base: i64,
    pub bounced: i64,
    /// Unsubscribed from everything, complained, or suppressed by staff.
    pub unsubscribed: i64,
    /// Crossed the inactive threshold during the period, with no interaction since.
    pub gone_inactive: i64,
}

impl Attrition {
    pub fn lost(&self) -> i64 {
        self.bounced + self.unsubscribed + self.gone_inactive
    }
    /// The share lost, in percent (0 for an empty base).
    pub fn percent(&self) -> f64 {
        if self.base == 0 {
            0.0
        } else {
            self.lost() as f64 * 100.0 / self.base as f64
        }
    }
}

/// One acquisition source on the dashboard: which sources produce inactives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub channel: String,
    pub source: String,
    pub contacts: i64,
    pub counts: [i64; 5],
}

impl SourceSummary {
    pub fn share(&self, status: EngagementStatus) -> f64 {
        if self.contacts == 0 {
            0.0
        } else {
            self.counts[status.index()] as f64 * 100.0 / self.contacts as f64
        }
    }
    /// Engaged in the broad sense: recent activity or engaged.
    pub fn engaged_share(&self) -> f64 {
        self.share(EngagementStatus::RecentActivity) + self.share(EngagementStatus::Engaged)
    }
}

/// Everything `/engagement` shows, computed in one refresh and stored as one document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub taken_at: crate::model::Timestamp,
    pub settings: EngagementSettings,
    pub total: i64,
    pub counts: [i64; 5],
    pub never_engaged: i64,
    pub never_opened: i64,
    pub never_clicked: i64,
    pub idle: i64,
    pub hard_bounces: i64,
    pub complaints: i64,
    pub suppressed: i64,
    pub pooled: i64,
    /// The last 24 months, oldest first; months before any data are absent.
    pub months: Vec<MonthCounts>,
    /// By channel (source empty) …
    pub channels: Vec<SourceSummary>,
    /// … and by source detail, largest first.
    pub sources: Vec<SourceSummary>,
    pub attrition: Attrition,
}

pub use crate::platform::jobs::Job;

/// The status badge of the contacts list and profile page, with the pool and a
/// suppression when there is one.
pub fn status_badge(
    status: EngagementStatus,
    suppressed: bool,
    pool: crate::model::engagement::Pool,
) -> impl IntoView + use<> {
    let class = format!("badge badge-status {}", charts::status_class(status));
    view! {
        <span class=class>{status.label()}</span>
        {(pool == crate::model::engagement::Pool::Inactive).then(|| view! { " " <span class="badge">"Inactive pool"</span> })}
        {suppressed.then(|| view! { " " <span class="badge badge-danger">"Suppressed"</span> })}
    }
}

/// Share of `part` in `whole`, in percent (0 for an empty whole).
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

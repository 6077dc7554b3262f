//! Engagement: interactions in (events API, tracking links, staff, CSV imports),
//! statuses out (a range of one indexed instant, so never stale), the `/engagement`
//! dashboard and the list-cleaning bulk actions.

#[cfg(feature = "ssr")]
pub mod service;

use crate::model::engagement::{EngagementSettings, EngagementStatus};
use serde::{Deserialize, Serialize};

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
    pub taken_at: i64,
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

/// Background work shown to staff with its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// queued, running, done, failed
    pub state: String,
    pub params: String,
    pub total: i64,
    pub done: i64,
    pub next_id: i64,
    pub message: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Job {
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            if self.state == "done" {
                100
            } else {
                0
            }
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
    pub fn finished(&self) -> bool {
        self.state == "done" || self.state == "failed"
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

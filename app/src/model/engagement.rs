//! Engagement status from the date of the last interaction. Pure, so the rule is pinned
//! by tests at every threshold edge and shared by the server and the browser.

use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementStatus {
    /// An interaction within `recent_days`.
    RecentActivity,
    /// Within `engaged_days`.
    Engaged,
    /// Within `disengaged_days`.
    Disengaged,
    /// Older, or never engaged once no longer new.
    Inactive,
    /// No interaction yet, created within `new_days`.
    New,
}

impl EngagementStatus {
    pub fn label(self) -> &'static str {
        match self {
            EngagementStatus::RecentActivity => "Recent activity",
            EngagementStatus::Engaged => "Engaged",
            EngagementStatus::Disengaged => "Disengaged",
            EngagementStatus::Inactive => "Inactive",
            EngagementStatus::New => "New",
        }
    }
}

/// The thresholds, in days since the last interaction (settings, per business).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub recent_days: i64,
    pub engaged_days: i64,
    pub disengaged_days: i64,
    /// How long a contact with no interaction counts as new.
    pub new_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { recent_days: 7, engaged_days: 90, disengaged_days: 270, new_days: 90 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub status: EngagementStatus,
    /// Inactive without ever having interacted.
    pub never_engaged: bool,
}

/// Classifies a contact at `now` (all instants in unix seconds). An interaction exactly
/// N days old is still within "N days".
pub fn classify(last_interaction_at: Option<i64>, created_at: i64, now: i64, t: &Thresholds) -> Classification {
    match last_interaction_at {
        Some(at) => {
            let age = now - at;
            let status = if age <= t.recent_days * DAY {
                EngagementStatus::RecentActivity
            } else if age <= t.engaged_days * DAY {
                EngagementStatus::Engaged
            } else if age <= t.disengaged_days * DAY {
                EngagementStatus::Disengaged
            } else {
                EngagementStatus::Inactive
            };
            Classification { status, never_engaged: false }
        }
        None if now - created_at <= t.new_days * DAY => {
            Classification { status: EngagementStatus::New, never_engaged: false }
        }
        None => Classification { status: EngagementStatus::Inactive, never_engaged: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EngagementStatus::*;

    const NOW: i64 = 1_800_000_000;

    fn after(days: i64, extra_secs: i64) -> EngagementStatus {
        classify(Some(NOW - days * DAY - extra_secs), NOW - 1000 * DAY, NOW, &Thresholds::default()).status
    }

    #[test]
    fn each_threshold_is_inclusive_and_the_next_second_moves_on() {
        assert_eq!(after(0, 0), RecentActivity);
        assert_eq!(after(7, 0), RecentActivity);
        assert_eq!(after(7, 1), Engaged);
        assert_eq!(after(90, 0), Engaged);
        assert_eq!(after(90, 1), Disengaged);
        assert_eq!(after(270, 0), Disengaged);
        assert_eq!(after(270, 1), Inactive);
        assert_eq!(after(2000, 0), Inactive);
    }

    #[test]
    fn a_contact_without_interaction_is_new_then_inactive_and_never_engaged() {
        let t = Thresholds::default();
        let new = classify(None, NOW - 90 * DAY, NOW, &t);
        assert_eq!(new, Classification { status: New, never_engaged: false });
        let stale = classify(None, NOW - 90 * DAY - 1, NOW, &t);
        assert_eq!(stale, Classification { status: Inactive, never_engaged: true });
        assert!(!classify(Some(NOW - 300 * DAY), NOW - 400 * DAY, NOW, &t).never_engaged, "inactive, but engaged once");
    }

    #[test]
    fn thresholds_are_settings() {
        // ActiveCampaign's fast-moving recipe: 7 / 21 / 30 days.
        let fast = Thresholds { recent_days: 7, engaged_days: 21, disengaged_days: 30, new_days: 14 };
        assert_eq!(classify(Some(NOW - 22 * DAY), 0, NOW, &fast).status, Disengaged);
        assert_eq!(classify(Some(NOW - 31 * DAY), 0, NOW, &fast).status, Inactive);
        assert_eq!(classify(None, NOW - 15 * DAY, NOW, &fast).status, Inactive);
    }
}

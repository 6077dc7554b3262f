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
    /// The value in URLs (`/contacts?status=…`).
    pub fn as_str(self) -> &'static str {
        match self {
            EngagementStatus::RecentActivity => "recent",
            EngagementStatus::Engaged => "engaged",
            EngagementStatus::Disengaged => "disengaged",
            EngagementStatus::Inactive => "inactive",
            EngagementStatus::New => "new",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub const ALL: [EngagementStatus; 5] = [
        EngagementStatus::RecentActivity,
        EngagementStatus::Engaged,
        EngagementStatus::Disengaged,
        EngagementStatus::Inactive,
        EngagementStatus::New,
    ];
    /// Index in `ALL`, for counters.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which sending pool a contact belongs to. The inactive pool is kept, but out of the
/// main sending lists, so it can be worked from a separate account without hurting the
/// main account's reputation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    #[default]
    Main,
    Inactive,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::Main => "main",
            Pool::Inactive => "inactive",
        }
    }
    pub fn parse(s: &str) -> Option<Pool> {
        [Pool::Main, Pool::Inactive].into_iter().find(|p| p.as_str() == s)
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

impl Thresholds {
    /// The statuses at `now` as ranges of `column` (see `StatusBounds`).
    pub fn bounds(&self, now: crate::model::Timestamp, column: &'static str) -> StatusBounds {
        StatusBounds {
            column,
            now,
            recent_from: now - self.recent_days * DAY,
            engaged_from: now - self.engaged_days * DAY,
            disengaged_from: now - self.disengaged_days * DAY,
            new_from: now - self.new_days * DAY,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { recent_days: 7, engaged_days: 90, disengaged_days: 270, new_days: 90 }
    }
}

/// Everything that decides a status: the thresholds, and whether opens count as
/// interactions (privacy proxies pre-fetch images, so opens are weak evidence). Stored
/// in the settings table and shared by every instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngagementSettings {
    pub thresholds: Thresholds,
    pub opens_count: bool,
    /// "No interaction in N months", the list-cleaning count on the dashboard.
    pub idle_months: i64,
}

impl Default for EngagementSettings {
    fn default() -> Self {
        EngagementSettings { thresholds: Thresholds::default(), opens_count: false, idle_months: 6 }
    }
}

impl EngagementSettings {
    /// Checks a settings form: every limit positive and in increasing order.
    pub fn validate(&self) -> Result<(), super::FieldErrors> {
        let t = &self.thresholds;
        let mut errors = super::FieldErrors::default();
        for (field, v) in [
            ("recent_days", t.recent_days),
            ("engaged_days", t.engaged_days),
            ("disengaged_days", t.disengaged_days),
            ("new_days", t.new_days),
        ] {
            if !(1..=3650).contains(&v) {
                errors.add(field, "Enter a number of days between 1 and 3650.");
            }
        }
        if errors.is_empty() && !(t.recent_days < t.engaged_days && t.engaged_days < t.disengaged_days) {
            errors.add("engaged_days", "Each limit must be longer than the one before: recent < engaged < disengaged.");
        }
        if !(1..=120).contains(&self.idle_months) {
            errors.add("idle_months", "Enter a number of months between 1 and 120.");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The stored column that holds "the last interaction" under these settings.
    pub fn activity_column(&self) -> &'static str {
        if self.opens_count {
            "last_interaction_at"
        } else {
            "last_signal_at"
        }
    }

    pub fn bounds(&self, now: crate::model::Timestamp) -> StatusBounds {
        self.thresholds.bounds(now, self.activity_column())
    }
}

/// The statuses at one instant as ranges of the activity column `c` (and of
/// `created_at` when `c` is empty): the one rule. `classify` applies it in Rust, and
/// the store writes the same ranges in SQL (`contact_filters`, `status_case`), which
/// the integration tests check status by status on both backends.
///
/// | status     | rule                                                        |
/// |------------|-------------------------------------------------------------|
/// | recent     | `c >= recent_from`                                          |
/// | engaged    | `engaged_from <= c < recent_from`                           |
/// | disengaged | `disengaged_from <= c < engaged_from`                       |
/// | inactive   | `c < disengaged_from`, or `c` empty and `created_at < new_from` |
/// | new        | `c` empty and `created_at >= new_from`                      |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusBounds {
    pub column: &'static str,
    pub now: crate::model::Timestamp,
    pub recent_from: crate::model::Timestamp,
    pub engaged_from: crate::model::Timestamp,
    pub disengaged_from: crate::model::Timestamp,
    pub new_from: crate::model::Timestamp,
}

impl StatusBounds {
    /// "No interaction in `months` months" starts here (a month counted as 30 days).
    pub fn idle_from(&self, months: i64) -> crate::model::Timestamp {
        self.now - months * 30 * DAY
    }

    pub fn status(
        &self,
        last: Option<crate::model::Timestamp>,
        created_at: crate::model::Timestamp,
    ) -> EngagementStatus {
        match last {
            Some(c) if c >= self.recent_from => EngagementStatus::RecentActivity,
            Some(c) if c >= self.engaged_from => EngagementStatus::Engaged,
            Some(c) if c >= self.disengaged_from => EngagementStatus::Disengaged,
            Some(_) => EngagementStatus::Inactive,
            None if created_at >= self.new_from => EngagementStatus::New,
            None => EngagementStatus::Inactive,
        }
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
pub fn classify(
    last_interaction_at: Option<crate::model::Timestamp>,
    created_at: crate::model::Timestamp,
    now: crate::model::Timestamp,
    t: &Thresholds,
) -> Classification {
    let status = t.bounds(now, "").status(last_interaction_at, created_at);
    Classification { status, never_engaged: last_interaction_at.is_none() && status == EngagementStatus::Inactive }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EngagementStatus::*;

    const NOW: crate::model::Timestamp = crate::model::Timestamp(1_800_000_000);

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
    fn settings_refuse_limits_out_of_order() {
        let mut s = EngagementSettings::default();
        assert!(s.validate().is_ok());
        s.thresholds.engaged_days = 5;
        assert!(s.validate().unwrap_err().get("engaged_days").is_some());
        s.thresholds.engaged_days = 0;
        assert!(s.validate().unwrap_err().get("engaged_days").unwrap().contains("between"));
        assert_eq!(
            EngagementSettings { opens_count: true, ..Default::default() }.activity_column(),
            "last_interaction_at"
        );
    }

    #[test]
    fn thresholds_are_settings() {
        // ActiveCampaign's fast-moving recipe: 7 / 21 / 30 days.
        let fast = Thresholds { recent_days: 7, engaged_days: 21, disengaged_days: 30, new_days: 14 };
        assert_eq!(classify(Some(NOW - 22 * DAY), crate::model::Timestamp(0), NOW, &fast).status, Disengaged);
        assert_eq!(classify(Some(NOW - 31 * DAY), crate::model::Timestamp(0), NOW, &fast).status, Inactive);
        assert_eq!(classify(None, NOW - 15 * DAY, NOW, &fast).status, Inactive);
    }
}

//! Instants. Every instant Carnet stores is a whole number of seconds since the Unix
//! epoch, UTC: a `Timestamp`, so an instant is never mistaken for a duration, a count
//! or an id. Durations stay plain seconds (`i64`): an instant plus seconds is an
//! instant, and the difference of two instants is seconds.

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Sub};

/// An instant, in seconds since the Unix epoch (UTC). On the wire and in the database
/// it is the plain integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", sqlx(transparent))]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// Seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.0
    }

    /// As a date and time (the epoch for an instant chrono cannot represent).
    pub fn datetime(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.0, 0).unwrap_or_default()
    }

    /// The UTC day it falls on.
    pub fn date(self) -> chrono::NaiveDate {
        self.datetime().date_naive()
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(t: chrono::DateTime<chrono::Utc>) -> Self {
        Timestamp(t.timestamp())
    }
}

/// Seconds later.
impl Add<i64> for Timestamp {
    type Output = Timestamp;
    fn add(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }
}

impl AddAssign<i64> for Timestamp {
    fn add_assign(&mut self, secs: i64) {
        *self = *self + secs;
    }
}

/// Seconds earlier.
impl Sub<i64> for Timestamp {
    type Output = Timestamp;
    fn sub(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_sub(secs))
    }
}

/// The seconds between two instants.
impl Sub<Timestamp> for Timestamp {
    type Output = i64;
    fn sub(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// The integer, as SQL literals and URLs take it.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn instants_and_seconds_combine_as_time_does() {
        let t = Timestamp(1_000);
        assert_eq!(t + 60, Timestamp(1_060));
        assert_eq!(t - 60, Timestamp(940));
        assert_eq!(Timestamp(1_060) - t, 60);
        assert_eq!(Timestamp::MIN - 1, Timestamp::MIN, "saturates rather than wrapping");
        assert_eq!(serde_json::to_string(&t).unwrap(), "1000");
        assert_eq!(Timestamp(86_400).date().to_string(), "1970-01-02");
    }
}

//! The clock: every instant Carnet stores is a Unix time in seconds, UTC.

/// Now, in seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

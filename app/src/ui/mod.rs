//! Shared widgets: the staff shell, form fields, dates.

mod field;
mod shell;

pub use field::{ErrorSummary, Field, FieldKind};
pub use shell::{allowed, IfAllowed, Me, StaffShell};

/// "2026-11-23 14:05" (UTC) for an instant in unix seconds.
pub fn format_instant(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// "2026-11-23" for an instant in unix seconds.
pub fn format_day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

//! Shared widgets: the staff shell, form fields, dates.

mod field;
mod policy;
mod shell;

pub use field::{ErrorSummary, Field, FieldKind};
pub use policy::{content_security_policy, Framing};
pub use shell::{allowed, IfAllowed, Me, StaffShell};

/// A page-level error (a resource that could not be loaded), announced to screen readers.
pub fn error_alert(error: &crate::error::AppError) -> impl leptos::IntoView + use<> {
    use leptos::prelude::*;
    let message = error.to_string();
    view! { <p class="alert alert-error" role="alert">{message}</p> }
}

/// Now (works in the browser too).
pub fn now_secs() -> crate::model::Timestamp {
    chrono::Utc::now().into()
}

/// "2026-11-23 14:05" (UTC).
pub fn format_instant(at: crate::model::Timestamp) -> String {
    at.datetime().format("%Y-%m-%d %H:%M").to_string()
}

/// "2026-11-23" (UTC).
pub fn format_day(at: crate::model::Timestamp) -> String {
    at.datetime().format("%Y-%m-%d").to_string()
}

/// 1234567 → "1,234,567".
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    // Digits left before the next comma: the leading group is 1 to 3 long.
    let mut left = (digits.len() - 1) % 3 + 1;
    for c in digits.chars() {
        if left == 0 {
            out.push(',');
            left = 3;
        }
        out.push(c);
        left -= 1;
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::group_thousands(0), "0");
        assert_eq!(super::group_thousands(999), "999");
        assert_eq!(super::group_thousands(1000), "1,000");
        assert_eq!(super::group_thousands(1234567), "1,234,567");
        assert_eq!(super::group_thousands(-4500), "-4,500");
    }
}

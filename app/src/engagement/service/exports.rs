//! What exports share (formulas defused, see `contacts::export` for the list export),
//! and the events import page's error messages, carried to the next page view in the
//! session.

/// A spreadsheet treats a cell starting with = + - @ as a formula: such values are
/// written with a leading apostrophe so an export can never run code (CSV injection).
pub fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

pub const IMPORT_ERRORS_KEY: &str = "import_errors";

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("+33 6 12"), "'+33 6 12");
        assert_eq!(super::spreadsheet_safe("Anne"), "Anne");
    }
}

//! The CSV export of a list, written chunk by chunk so memory stays flat, and the
//! import page's error messages, carried to the next page view in the session.

use crate::model::engagement::StatusBounds;
use crate::model::{Contact, ContactQuery};
use crate::state::AppState;
use crate::store::StoreError;

const EXPORT_CHUNK: i64 = 1000;
pub const EXPORT_COLUMNS: [&str; 17] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "postal_code",
    "city",
    "country",
    "channel",
    "source",
    "status",
    "last_interaction",
    "suppressed",
    "pool",
    "created",
];

/// A spreadsheet treats a cell starting with = + - @ as a formula: such values are
/// written with a leading apostrophe so an export can never run code (CSV injection).
pub fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

fn day(secs: Option<crate::model::Timestamp>) -> String {
    secs.map(|s| s.datetime().format("%Y-%m-%d").to_string()).unwrap_or_default()
}

pub fn csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(EXPORT_COLUMNS);
    w.into_inner().unwrap_or_default()
}

pub fn csv_rows(contacts: &[Contact], bounds: &StatusBounds, opens_count: bool) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for c in contacts {
        let f = &c.fields;
        let last = if opens_count { c.last_interaction_at } else { c.last_signal_at };
        let record = [
            c.id.to_string(),
            spreadsheet_safe(f.email.as_str()),
            spreadsheet_safe(&f.first_name),
            spreadsheet_safe(&f.last_name),
            spreadsheet_safe(&f.phone),
            spreadsheet_safe(&f.company),
            spreadsheet_safe(&f.job_title),
            spreadsheet_safe(&f.postal_code),
            spreadsheet_safe(&f.city),
            spreadsheet_safe(&f.country),
            f.channel.as_str().to_string(),
            spreadsheet_safe(&f.source_detail),
            bounds.status(last, c.created_at).as_str().to_string(),
            day(last),
            c.suppression_reason.clone().unwrap_or_default(),
            c.pool.as_str().to_string(),
            day(Some(c.created_at)),
        ];
        let _ = w.write_record(&record);
    }
    w.into_inner().unwrap_or_default()
}

/// The next chunk of the export after contact `after_id`: its CSV lines and the last
/// id, or `None` at the end.
pub async fn export_chunk(
    state: &AppState,
    query: &ContactQuery,
    bounds: &StatusBounds,
    opens_count: bool,
    after_id: i64,
) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    let ids = state.store.contact_ids_matching(query, bounds, crate::model::ContactId(after_id), EXPORT_CHUNK).await?;
    let Some(last) = ids.last().copied() else { return Ok(None) };
    let contacts = state.store.contacts_by_ids(&ids).await?;
    Ok(Some((csv_rows(&contacts, bounds, opens_count), last.0)))
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

    #[test]
    fn an_address_that_looks_like_a_formula_is_defused_too() {
        use crate::model::{Contact, ContactForm, ContactId, Timestamp};
        let form = ContactForm { email: "=1+1@example.com".into(), ..Default::default() };
        let fields = form.validate(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).unwrap();
        let contact = Contact {
            id: ContactId(1),
            email_md5: fields.email.md5_hex(),
            email_sha256: fields.email.sha256_hex(),
            fields,
            purchase_count: 0,
            last_interaction_at: None,
            last_signal_at: None,
            last_open_at: None,
            last_click_at: None,
            suppressed_at: None,
            suppression_reason: None,
            pool: Default::default(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let bounds = crate::model::engagement::EngagementSettings::default().bounds(Timestamp(0));
        let csv = String::from_utf8(super::csv_rows(&[contact], &bounds, false)).unwrap();
        assert!(csv.starts_with("1,'=1+1@example.com,"), "{csv}");
    }
}

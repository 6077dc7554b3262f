//! Values as both backends store them (dates as ISO text, interests as a list, custom
//! fields as JSON) and the column reader the row decoders share.

use app::model::events::EventKind;
use app::model::ContactFields;
use app::store::{BulkActivity, StoreError};
use chrono::NaiveDate;
use sqlx::{ColumnIndex, Decode, Row, Type};

pub(crate) fn bad(what: &str) -> StoreError {
    StoreError::Database(format!("unexpected stored value in {what}"))
}

/// Reads one column, as any backend's row.
pub fn get<'r, R, T>(row: &'r R, column: &'r str) -> Result<T, StoreError>
where
    R: Row,
    &'r str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(column).map_err(|e| StoreError::Database(e.to_string()))
}

pub(crate) fn date(value: Option<String>) -> Option<NaiveDate> {
    value.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

pub fn iso_date(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn interests_text(fields: &ContactFields) -> String {
    fields.interests.join(",")
}

pub fn custom_json(fields: &ContactFields) -> String {
    serde_json::to_string(&fields.custom).unwrap_or_else(|_| "{}".into())
}

/// What a bulk-loaded contact's timeline says about its engagement: the instants
/// stored on the contact row, derived from its activities (kind, interaction, at).
#[derive(Default)]
pub struct BulkEngagement {
    pub last_interaction_at: Option<app::model::Timestamp>,
    pub last_signal_at: Option<app::model::Timestamp>,
    pub last_open_at: Option<app::model::Timestamp>,
    pub last_click_at: Option<app::model::Timestamp>,
    pub suppressed: Option<(app::model::Timestamp, &'static str)>,
}

impl BulkEngagement {
    pub fn of(activities: &[BulkActivity]) -> BulkEngagement {
        let mut e = BulkEngagement::default();
        for a in activities {
            let at = Some(a.at);
            if a.kind.is_interaction() {
                e.last_interaction_at = e.last_interaction_at.max(at);
            }
            if a.kind.is_signal() {
                e.last_signal_at = e.last_signal_at.max(at);
            }
            match a.kind {
                EventKind::Open => e.last_open_at = e.last_open_at.max(at),
                EventKind::Click => e.last_click_at = e.last_click_at.max(at),
                _ => {}
            }
            // The first suppressing event suppresses, for its reason.
            if a.kind.suppresses() && e.suppressed.is_none() {
                e.suppressed = Some((a.at, a.kind.as_str()));
            }
        }
        e
    }
}

/// Names of the fields that differ, for the timeline ("Changed: email, phone").
pub fn changed_fields(old: &ContactFields, new: &ContactFields) -> Vec<&'static str> {
    let checks = [
        ("email", old.email != new.email),
        ("first_name", old.first_name != new.first_name),
        ("last_name", old.last_name != new.last_name),
        ("phone", old.phone != new.phone),
        ("birth_date", old.birth_date != new.birth_date),
        ("job_title", old.job_title != new.job_title),
        ("company", old.company != new.company),
        ("address_line1", old.address_line1 != new.address_line1),
        ("address_line2", old.address_line2 != new.address_line2),
        ("postal_code", old.postal_code != new.postal_code),
        ("city", old.city != new.city),
        ("country", old.country != new.country),
        ("interests", old.interests != new.interests),
        ("last_purchase_on", old.last_purchase_on != new.last_purchase_on),
        ("total_spent", old.total_spent_cents != new.total_spent_cents),
        ("custom", old.custom != new.custom),
        ("channel", old.channel != new.channel),
        ("source_detail", old.source_detail != new.source_detail),
    ];
    checks.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect()
}

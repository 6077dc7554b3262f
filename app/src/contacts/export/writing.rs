//! Writing an export (server side): each contact's values, CSV or JSON Lines, chunk by
//! chunk.

use super::{ExportColumn, ExportFormat, ExportRequest};
use crate::engagement::service::spreadsheet_safe;
use crate::model::engagement::StatusBounds;
use crate::model::{Contact, ContactQuery};
use crate::state::AppState;
use crate::store::StoreError;
use serde_json::Value;

const CHUNK: i64 = 1000;

fn day(at: Option<crate::model::Timestamp>) -> String {
    at.map(|s| s.datetime().format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// A column's value for a contact: text (defused in a CSV) or a number.
fn value(c: &Contact, column: ExportColumn, bounds: &StatusBounds, opens_count: bool) -> Value {
    let f = &c.fields;
    let text = |s: &str| Value::String(s.to_string());
    let last = if opens_count { c.last_interaction_at } else { c.last_signal_at };
    match column {
        ExportColumn::Id => Value::from(c.id.0),
        ExportColumn::Email => text(f.email.as_str()),
        ExportColumn::FirstName => text(&f.first_name),
        ExportColumn::LastName => text(&f.last_name),
        ExportColumn::Phone => text(&f.phone),
        ExportColumn::BirthDate => text(&f.birth_date.map(|d| d.to_string()).unwrap_or_default()),
        ExportColumn::Company => text(&f.company),
        ExportColumn::JobTitle => text(&f.job_title),
        ExportColumn::AddressLine1 => text(&f.address_line1),
        ExportColumn::AddressLine2 => text(&f.address_line2),
        ExportColumn::PostalCode => text(&f.postal_code),
        ExportColumn::City => text(&f.city),
        ExportColumn::Country => text(&f.country),
        ExportColumn::Interests => text(&f.interests.join(", ")),
        ExportColumn::LastPurchaseOn => text(&f.last_purchase_on.map(|d| d.to_string()).unwrap_or_default()),
        ExportColumn::TotalSpent => text(&crate::model::contact::format_cents(f.total_spent_cents)),
        ExportColumn::PurchaseCount => Value::from(c.purchase_count),
        ExportColumn::Custom => text(&f.custom.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")),
        ExportColumn::Channel => text(f.channel.as_str()),
        ExportColumn::Source => text(&f.source_detail),
        ExportColumn::Status => text(bounds.status(last, c.created_at).as_str()),
        ExportColumn::LastInteraction => text(&day(last)),
        ExportColumn::Suppressed => text(c.suppression_reason.as_deref().unwrap_or_default()),
        ExportColumn::Pool => text(c.pool.as_str()),
        ExportColumn::Created => text(&day(Some(c.created_at))),
    }
}

fn csv_writer(request: &ExportRequest) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().delimiter(request.separator).from_writer(Vec::new())
}

/// The start of the file: a BOM and the header line (CSV), nothing (JSON Lines).
pub fn start(request: &ExportRequest) -> Vec<u8> {
    if request.format == ExportFormat::Jsonl {
        return Vec::new();
    }
    let mut w = csv_writer(request);
    let _ = w.write_record(request.columns.iter().map(|c| c.key()));
    let mut bytes = crate::imports::sniff::BOM.to_vec();
    bytes.extend(w.into_inner().unwrap_or_default());
    bytes
}

/// These contacts, one line each.
pub fn lines(request: &ExportRequest, contacts: &[Contact], bounds: &StatusBounds, opens_count: bool) -> Vec<u8> {
    match request.format {
        ExportFormat::Csv => {
            let mut w = csv_writer(request);
            for c in contacts {
                let record = request.columns.iter().map(|col| match value(c, *col, bounds, opens_count) {
                    Value::String(s) => spreadsheet_safe(&s),
                    other => other.to_string(),
                });
                let _ = w.write_record(record);
            }
            w.into_inner().unwrap_or_default()
        }
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for c in contacts {
                let object: serde_json::Map<String, Value> = request
                    .columns
                    .iter()
                    .map(|col| (col.key().to_string(), value(c, *col, bounds, opens_count)))
                    .collect();
                out.extend(Value::Object(object).to_string().into_bytes());
                out.push(b'\n');
            }
            out
        }
    }
}

/// The next chunk of the export after contact `after_id`: its lines and the last
/// id, or `None` at the end.
pub async fn chunk(
    state: &AppState,
    list: &ContactQuery,
    request: &ExportRequest,
    bounds: &StatusBounds,
    opens_count: bool,
    after_id: i64,
) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    let ids = state.store.contact_ids_matching(list, bounds, crate::model::ContactId(after_id), CHUNK).await?;
    let Some(last) = ids.last().copied() else { return Ok(None) };
    let contacts = state.store.contacts_by_ids(&ids).await?;
    Ok(Some((lines(request, &contacts, bounds, opens_count), last.0)))
}

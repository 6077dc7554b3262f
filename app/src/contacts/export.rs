//! Exporting a list: the `/contacts` filters, the columns staff choose, as CSV (with a
//! BOM, so that Excel reads it as UTF-8, and the separator French Excel expects when
//! asked) or JSON Lines; written chunk by chunk so memory stays flat, every text cell
//! of a CSV defused against formulas. The same request serves the browser's download
//! (`/contacts/export?…`) and `carnet export contacts`.

use serde::{Deserialize, Serialize};

/// A column an export can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportColumn {
    Id,
    Email,
    FirstName,
    LastName,
    Phone,
    BirthDate,
    Company,
    JobTitle,
    AddressLine1,
    AddressLine2,
    PostalCode,
    City,
    Country,
    Interests,
    LastPurchaseOn,
    TotalSpent,
    PurchaseCount,
    Custom,
    Channel,
    Source,
    Status,
    LastInteraction,
    Suppressed,
    Pool,
    Created,
}

impl ExportColumn {
    pub const ALL: [ExportColumn; 25] = [
        ExportColumn::Id,
        ExportColumn::Email,
        ExportColumn::FirstName,
        ExportColumn::LastName,
        ExportColumn::Phone,
        ExportColumn::BirthDate,
        ExportColumn::Company,
        ExportColumn::JobTitle,
        ExportColumn::AddressLine1,
        ExportColumn::AddressLine2,
        ExportColumn::PostalCode,
        ExportColumn::City,
        ExportColumn::Country,
        ExportColumn::Interests,
        ExportColumn::LastPurchaseOn,
        ExportColumn::TotalSpent,
        ExportColumn::PurchaseCount,
        ExportColumn::Custom,
        ExportColumn::Channel,
        ExportColumn::Source,
        ExportColumn::Status,
        ExportColumn::LastInteraction,
        ExportColumn::Suppressed,
        ExportColumn::Pool,
        ExportColumn::Created,
    ];

    /// What an export has when no columns are chosen.
    pub const DEFAULT: [ExportColumn; 17] = [
        ExportColumn::Id,
        ExportColumn::Email,
        ExportColumn::FirstName,
        ExportColumn::LastName,
        ExportColumn::Phone,
        ExportColumn::Company,
        ExportColumn::JobTitle,
        ExportColumn::PostalCode,
        ExportColumn::City,
        ExportColumn::Country,
        ExportColumn::Channel,
        ExportColumn::Source,
        ExportColumn::Status,
        ExportColumn::LastInteraction,
        ExportColumn::Suppressed,
        ExportColumn::Pool,
        ExportColumn::Created,
    ];

    /// The header of its column (and its key in JSON Lines): what the import reads back.
    pub fn key(self) -> &'static str {
        match self {
            ExportColumn::Id => "id",
            ExportColumn::Email => "email",
            ExportColumn::FirstName => "first_name",
            ExportColumn::LastName => "last_name",
            ExportColumn::Phone => "phone",
            ExportColumn::BirthDate => "birth_date",
            ExportColumn::Company => "company",
            ExportColumn::JobTitle => "job_title",
            ExportColumn::AddressLine1 => "address_line1",
            ExportColumn::AddressLine2 => "address_line2",
            ExportColumn::PostalCode => "postal_code",
            ExportColumn::City => "city",
            ExportColumn::Country => "country",
            ExportColumn::Interests => "interests",
            ExportColumn::LastPurchaseOn => "last_purchase_on",
            ExportColumn::TotalSpent => "total_spent",
            ExportColumn::PurchaseCount => "purchase_count",
            ExportColumn::Custom => "custom",
            ExportColumn::Channel => "channel",
            ExportColumn::Source => "source",
            ExportColumn::Status => "status",
            ExportColumn::LastInteraction => "last_interaction",
            ExportColumn::Suppressed => "suppressed",
            ExportColumn::Pool => "pool",
            ExportColumn::Created => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportColumn::Id => "Id",
            ExportColumn::Email => "Email",
            ExportColumn::FirstName => "First name",
            ExportColumn::LastName => "Last name",
            ExportColumn::Phone => "Phone",
            ExportColumn::BirthDate => "Birth date",
            ExportColumn::Company => "Company",
            ExportColumn::JobTitle => "Job title",
            ExportColumn::AddressLine1 => "Address line 1",
            ExportColumn::AddressLine2 => "Address line 2",
            ExportColumn::PostalCode => "Postal code",
            ExportColumn::City => "City",
            ExportColumn::Country => "Country",
            ExportColumn::Interests => "Interests",
            ExportColumn::LastPurchaseOn => "Last purchase",
            ExportColumn::TotalSpent => "Total spent",
            ExportColumn::PurchaseCount => "Purchases",
            ExportColumn::Custom => "Custom attributes",
            ExportColumn::Channel => "Channel",
            ExportColumn::Source => "Source",
            ExportColumn::Status => "Engagement status",
            ExportColumn::LastInteraction => "Last interaction",
            ExportColumn::Suppressed => "Suppressed (why)",
            ExportColumn::Pool => "Pool",
            ExportColumn::Created => "Added",
        }
    }

    pub fn parse(s: &str) -> Option<ExportColumn> {
        Self::ALL.into_iter().find(|c| c.key() == s.trim())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    #[default]
    Csv,
    /// One JSON object a line.
    Jsonl,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/jsonl; charset=utf-8",
        }
    }
}

/// What to export, besides the list: read from the same query string as the list's
/// filters (`columns=email,first_name&format=csv&separator=semicolon`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRequest {
    pub columns: Vec<ExportColumn>,
    pub format: ExportFormat,
    pub separator: u8,
}

impl Default for ExportRequest {
    fn default() -> Self {
        ExportRequest { columns: ExportColumn::DEFAULT.to_vec(), format: ExportFormat::Csv, separator: b',' }
    }
}

impl ExportRequest {
    /// The request in a query string, or what is wrong with it. Columns come as one
    /// comma-separated `columns` or as `col=<key>` pairs (a form's checkboxes).
    pub fn from_query_string(qs: &str) -> Result<ExportRequest, String> {
        let mut request = ExportRequest { columns: Vec::new(), ..Default::default() };
        for pair in qs.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = crate::model::listing::url_decode(v);
            match k {
                "columns" | "col" => {
                    for key in v.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                        let column = ExportColumn::parse(key).ok_or_else(|| {
                            let known: Vec<&str> = ExportColumn::ALL.iter().map(|c| c.key()).collect();
                            format!("“{key}” is not a column: use {}.", known.join(", "))
                        })?;
                        if !request.columns.contains(&column) {
                            request.columns.push(column);
                        }
                    }
                }
                "format" => {
                    request.format = match v.trim() {
                        "" | "csv" => ExportFormat::Csv,
                        "jsonl" => ExportFormat::Jsonl,
                        other => return Err(format!("“{other}” is not a format: use csv or jsonl.")),
                    }
                }
                "separator" => {
                    request.separator = match v.trim() {
                        "" | "comma" | "," => b',',
                        "semicolon" | ";" => b';',
                        "tab" => b'\t',
                        other => return Err(format!("“{other}” is not a separator: use comma, semicolon or tab.")),
                    }
                }
                _ => {}
            }
        }
        if request.columns.is_empty() {
            request.columns = ExportColumn::DEFAULT.to_vec();
        }
        Ok(request)
    }
}

/// The export's form for a list (its query string): the columns, the format and the
/// separator, sent as a plain GET (a download, with JavaScript on or off).
pub fn export_form(list_query: &str) -> impl leptos::IntoView + use<> {
    use leptos::prelude::*;
    let hidden: Vec<(String, String)> = list_query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| !matches!(*k, "columns" | "col" | "format" | "separator" | "after" | "before"))
        .map(|(k, v)| (crate::model::listing::url_decode(k), crate::model::listing::url_decode(v)))
        .collect();
    view! {
        <form method="get" action="/contacts/export" class="export-form">
            {hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            <fieldset>
                <legend>"Columns"</legend>
                <div class="checkbox-grid">
                    {ExportColumn::ALL.into_iter().map(|c| {
                        let id = format!("export-col-{}", c.key());
                        view! {
                            <span>
                                <input type="checkbox" id=id.clone() name="col" value=c.key() checked=ExportColumn::DEFAULT.contains(&c)/>
                                <label for=id>{c.label()}</label>
                            </span>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="grid-2">
                <div class="field">
                    <label for="export-format">"Format"</label>
                    <select id="export-format" name="format">
                        <option value="csv" selected=true>"CSV (a spreadsheet)"</option>
                        <option value="jsonl">"JSON Lines (one JSON object a line)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="export-separator">"CSV separator"</label>
                    <select id="export-separator" name="separator">
                        <option value="semicolon" selected=true>"Semicolon (Excel in French)"</option>
                        <option value="comma">"Comma (Excel in English, most tools)"</option>
                        <option value="tab">"Tab"</option>
                    </select>
                </div>
            </div>
            <button type="submit" class="button button-primary">"Download"</button>
        </form>
    }
}

#[cfg(feature = "ssr")]
pub use writing::*;

#[cfg(feature = "ssr")]
mod writing {
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
            ExportColumn::Custom => {
                text(&f.custom.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "))
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_from_the_query_string() {
        assert_eq!(ExportRequest::from_query_string("status=inactive").unwrap(), ExportRequest::default());
        let r =
            ExportRequest::from_query_string("q=ann&columns=email,first_name&col=city&col=email&format=jsonl").unwrap();
        assert_eq!(r.columns, [ExportColumn::Email, ExportColumn::FirstName, ExportColumn::City]);
        assert_eq!(r.format, ExportFormat::Jsonl);
        assert_eq!(ExportRequest::from_query_string("separator=semicolon").unwrap().separator, b';');
        assert!(ExportRequest::from_query_string("columns=email,password").unwrap_err().contains("password"));
        assert!(ExportRequest::from_query_string("format=xlsx").is_err());
        assert!(ExportRequest::from_query_string("separator=pipe").is_err());
    }

    #[test]
    fn every_column_has_its_own_key() {
        for (i, c) in ExportColumn::ALL.iter().enumerate() {
            assert_eq!(ExportColumn::parse(c.key()), Some(*c));
            assert!(ExportColumn::ALL[..i].iter().all(|d| d.key() != c.key()));
        }
    }
    #[cfg(feature = "ssr")]
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
        let csv = String::from_utf8(lines(&ExportRequest::default(), std::slice::from_ref(&contact), &bounds, false))
            .unwrap();
        assert!(csv.starts_with("1,'=1+1@example.com,"), "{csv}");
        let json = jsonl_of(&[contact], &bounds);
        assert_eq!(json["email"], "=1+1@example.com", "JSON Lines are data, not a spreadsheet: kept as they are");
    }

    #[cfg(feature = "ssr")]
    fn jsonl_of(
        contacts: &[crate::model::Contact],
        bounds: &crate::model::engagement::StatusBounds,
    ) -> serde_json::Value {
        let request = ExportRequest { format: ExportFormat::Jsonl, ..Default::default() };
        serde_json::from_slice(&lines(&request, contacts, bounds, false)).unwrap()
    }
}

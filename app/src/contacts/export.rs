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
mod writing;

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

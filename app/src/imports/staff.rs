//! The import pages' server side: an import's page (its choices, see `choices`, and the
//! preview of its first rows), saved mappings, and the runs started from the page.

use super::api::{ImportChoices, ImportDetail, ImportSummary, MappingChoice, PreviewRow};
use super::choices::*;
use super::mapping::Target;
use super::reading::{self, Source};
use super::rules::ContactImportSettings;
use super::service;
use super::sniff::{self, Encoding};
use crate::error::AppError;
use crate::model::contact::format_cents;
use crate::model::{ContactFields, ImportId, JobId};
use crate::state::AppState;
use crate::store::imports::{ImportRecord, UploadedFile};

/// Session keys: the choices last sent for an import, and what to tell on its page.
pub const DRAFT_KEY: &str = "import_draft";
pub const PROBLEMS_KEY: &str = "import_problems";
pub const NOTICE_KEY: &str = "import_notice";
/// Session key: why the last upload was not taken (shown on the imports page).
pub const UPLOAD_PROBLEMS_KEY: &str = "import_upload_problems";

/// Rows the preview shows.
const PREVIEW_ROWS: usize = 5;
/// Refused rows of a run the page lists (all of them are in the download).
const SHOWN_REFUSALS: i64 = 20;
use service::MAX_COLUMNS;

pub fn summary(r: &ImportRecord) -> ImportSummary {
    ImportSummary {
        id: r.id,
        kind: r.kind.clone(),
        file_name: r.file_name.clone(),
        size_bytes: r.size_bytes,
        state: r.state.clone(),
        dry_run: r.dry_run,
        counts: r.counts,
        job_id: r.job_id,
        created_by: r.created_by.clone(),
        created_at: r.created_at,
    }
}

/// What a preview cell shows for a column once its row is read.
fn shown(fields: &ContactFields, consent_at: Option<crate::model::Timestamp>, target: &Target) -> String {
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default();
    match target {
        Target::Ignore => String::new(),
        Target::Email => fields.email.as_str().to_string(),
        Target::FirstName => fields.first_name.clone(),
        Target::LastName => fields.last_name.clone(),
        Target::Phone => fields.phone.clone(),
        Target::BirthDate => day(fields.birth_date),
        Target::JobTitle => fields.job_title.clone(),
        Target::Company => fields.company.clone(),
        Target::AddressLine1 => fields.address_line1.clone(),
        Target::AddressLine2 => fields.address_line2.clone(),
        Target::PostalCode => fields.postal_code.clone(),
        Target::City => fields.city.clone(),
        Target::Country => fields.country.clone(),
        Target::Interests => fields.interests.join(", "),
        Target::LastPurchaseOn => day(fields.last_purchase_on),
        Target::TotalSpent if fields.total_spent_cents == 0 => String::new(),
        Target::TotalSpent => format!("{} €", format_cents(fields.total_spent_cents)),
        Target::Channel => fields.channel.label().to_string(),
        Target::SourceDetail => fields.source_detail.clone(),
        Target::ConsentDate => consent_at.map(crate::ui::format_instant).unwrap_or_default(),
        Target::Custom(name) => fields.custom.get(name).cloned().unwrap_or_default(),
    }
}

/// The first rows of the file read with these choices.
async fn preview(
    state: &AppState,
    import: &ImportRecord,
    settings: Option<&ContactImportSettings>,
    format: (Encoding, u8),
    with_header: bool,
) -> Result<Vec<PreviewRow>, AppError> {
    let (store, id) = (state.store.clone(), import.id);
    let runtime = tokio::runtime::Handle::current();
    let rows = tokio::task::spawn_blocking(move || {
        let _entered = runtime.enter();
        let source = Source::Stored(id);
        let head = reading::open(&source, &store, 0).map_err(|e| e.to_string())?;
        let mut layout = reading::read_layout(head, format.0, format.1)?;
        if !with_header {
            // A list of bare values: its first line is an entry too.
            (layout.data_at, layout.data_line) = (0, 1);
        }
        let body = reading::open(&source, &store, layout.data_at).map_err(|e| e.to_string())?;
        reading::first_rows(body, &layout, PREVIEW_ROWS)
    })
    .await
    .map_err(|_| AppError::Internal)?;
    let rows = match rows {
        Ok(rows) => rows,
        // The file could not be read this way: the page says so beside the choices.
        Err(_) => return Ok(Vec::new()),
    };
    Ok(rows
        .into_iter()
        .map(|(line, cells)| match cells {
            None => PreviewRow {
                line,
                cells: Vec::new(),
                refused: Some("Not text in this encoding: choose the other one.".into()),
            },
            Some(cells) => {
                let Some(settings) = settings else {
                    return PreviewRow {
                        line,
                        cells: cells.into_iter().map(|c| (c, String::new())).collect(),
                        refused: None,
                    };
                };
                let texts: Vec<&str> = cells.iter().map(String::as_str).collect();
                match super::rules::read_row(&texts, &import.headers, settings) {
                    Ok(row) => PreviewRow {
                        line,
                        cells: cells
                            .iter()
                            .zip(&settings.mapping.columns)
                            .map(|(cell, target)| (cell.clone(), shown(&row.fields, row.consent_at, target)))
                            .collect(),
                        refused: None,
                    },
                    Err(reason) => PreviewRow {
                        line,
                        cells: cells.into_iter().map(|c| (c, String::new())).collect(),
                        refused: Some(reason),
                    },
                }
            }
        })
        .collect())
}

/// The page of an import, with `draft` (the choices last sent) when there is one.
pub async fn detail(state: &AppState, id: ImportId, draft: Option<ImportChoices>) -> Result<ImportDetail, AppError> {
    let import = state.store.import(id).await?.ok_or(AppError::NotFound)?;
    let choices = match draft {
        Some(draft) if draft.columns.len() == import.headers.len() || import.kind == "suppression" => draft,
        _ => starting_choices(state, &import).await?,
    };
    let newsletters = state.store.open_newsletters().await?;
    let today = crate::platform::clock::now().date();
    let mut problems = Vec::new();
    let format = file_format(&choices, &mut problems);
    let settings = match import.kind.as_str() {
        "contacts" => contact_settings(&choices, &import, &newsletters, today).ok(),
        _ => None,
    };
    let stored = matches!(import.state.as_str(), "uploaded" | "checked" | "failed");
    let mut preview = if stored && problems.is_empty() {
        let with_header = import.kind == "contacts" || choices.has_header == "1";
        preview(state, &import, settings.as_ref(), format, with_header).await?
    } else {
        Vec::new()
    };
    let column = suppression_settings(&choices, &import).ok().map(|s| s.column);
    if let Some(list) = column.filter(|_| import.kind == "suppression") {
        for row in preview.iter_mut().filter(|r| r.refused.is_none()) {
            let value = row.cells.get(list).map_or("", |(cell, _)| cell.as_str());
            row.refused = service::suppression_hashes(value).err();
        }
    }
    let refusals = state.store.import_refusals(id, 0, SHOWN_REFUSALS).await?;
    let mappings = state
        .store
        .import_mappings()
        .await?
        .into_iter()
        .map(|m| {
            let same_headers =
                serde_json::from_str::<SavedChoices>(&m.settings).is_ok_and(|s| s.headers == import.headers);
            MappingChoice { name: m.name, same_headers }
        })
        .collect();
    let targets = std::iter::once(Target::Ignore)
        .chain(Target::FIELDS)
        .map(|t| (t.as_str(), t.label()))
        .chain(import.headers.iter().enumerate().map(|(i, h)| {
            // Each column can also be kept as a custom attribute named after its header.
            let name = super::mapping::custom_from_header(h).unwrap_or_else(|| format!("column {}", i + 1));
            let t = Target::Custom(name);
            (t.as_str(), t.label())
        }))
        .collect();
    Ok(ImportDetail {
        encoding: import.encoding.clone(),
        separator: file_separator(&import),
        headers: import.headers.clone(),
        import: summary(&import),
        choices,
        targets,
        newsletters,
        mappings,
        preview,
        refusals: refusals.into_iter().map(|r| (r.line, r.reason)).collect(),
        problems: Vec::new(),
        notice: None,
    })
}

/// What a form sent to an import's page did.
pub enum Configured {
    /// A run started: its progress is on the job's page.
    Started(JobId),
    /// Back to the import's page, with what to fix or what was done, and the choices
    /// it shows (`None`: start again from the file).
    Back { problems: Vec<String>, notice: Option<String>, draft: Option<Box<ImportChoices>> },
}

impl Configured {
    fn problems(problems: Vec<String>, sent: &ImportChoices) -> Result<Configured, AppError> {
        Ok(Configured::Back { problems, notice: None, draft: Some(Box::new(sent.clone())) })
    }
}

/// Applies the choices sent from an import's page, then does `action`.
pub async fn configure(
    state: &AppState,
    id: ImportId,
    choices: &ImportChoices,
    action: &str,
    actor: &str,
) -> Result<Configured, AppError> {
    let import = state.store.import(id).await?.ok_or(AppError::NotFound)?;
    if !matches!(import.state.as_str(), "uploaded" | "checked" | "failed") {
        return Configured::problems(
            vec!["This import cannot be changed now: it is under way or done.".into()],
            choices,
        );
    }
    if choices.columns.len() > MAX_COLUMNS {
        return Err(AppError::BadRequest);
    }
    if choices.save_as.chars().count() > 100 || choices.use_mapping.chars().count() > 100 {
        return Configured::problems(vec!["Keep the mapping's name under 100 characters.".into()], choices);
    }
    let mut problems = Vec::new();
    let (encoding, separator) = file_format(choices, &mut problems);
    if !problems.is_empty() {
        return Configured::problems(problems, choices);
    }
    // Another encoding or separator: the columns are read again, and guessed again.
    if encoding.as_str() != import.encoding || separator_value(separator) != file_separator(&import) {
        return reread(state, &import, choices, (encoding, separator)).await;
    }
    if action == "use_mapping" {
        return use_mapping(state, &import, choices).await;
    }
    let now = crate::platform::clock::now();
    let run: Result<serde_json::Value, Vec<String>> = if import.kind == "suppression" {
        suppression_settings(choices, &import).map(|s| serde_json::json!(s))
    } else {
        let newsletters = state.store.open_newsletters().await?;
        contact_settings(choices, &import, &newsletters, now.date()).map(|s| serde_json::json!(s))
    };
    let settings = match run {
        Ok(settings) => settings,
        Err(problems) => return Configured::problems(problems, choices),
    };
    let mut notice = None;
    let name = choices.save_as.trim();
    if !name.is_empty() && import.kind == "contacts" {
        let saved = SavedChoices {
            headers: import.headers.clone(),
            choices: ImportChoices {
                newsletter: String::new(),
                consent_text: String::new(),
                consent_date: String::new(),
                consent_place: String::new(),
                save_as: String::new(),
                use_mapping: String::new(),
                ..choices.clone()
            },
        };
        let json = serde_json::to_string(&saved).map_err(|_| AppError::Internal)?;
        state.store.save_import_mapping(name, &json, actor, now).await?;
        notice = Some(format!("Mapping “{name}” saved: a file with the same columns starts with it."));
    }
    match action {
        "preview" => Ok(Configured::Back { problems: Vec::new(), notice, draft: Some(Box::new(choices.clone())) }),
        "dry_run" | "import" => match service::start_run(state, &import, &settings, action == "dry_run", actor).await {
            Ok(job) => Ok(Configured::Started(job)),
            // Pressed twice: the first press started it.
            Err(crate::store::StoreError::NotFound) => Configured::problems(
                vec!["A run of this import is already under way: follow it on its page.".into()],
                choices,
            ),
            Err(e) => Err(e.into()),
        },
        _ => Err(AppError::BadRequest),
    }
}

/// Reads the file's columns again with another encoding or separator.
async fn reread(
    state: &AppState,
    import: &ImportRecord,
    sent: &ImportChoices,
    (encoding, separator): (Encoding, u8),
) -> Result<Configured, AppError> {
    let layout = reading::layout_of(Source::Stored(import.id), state.store.clone(), encoding, separator).await;
    let layout = match layout {
        Ok(layout) => layout,
        Err(reason) => return Configured::problems(vec![reason], sent),
    };
    if layout.headers.len() > MAX_COLUMNS {
        let problem = format!("Read this way the file has {} columns: choose another separator.", layout.headers.len());
        return Configured::problems(vec![problem], sent);
    }
    let file = UploadedFile {
        size_bytes: import.size_bytes,
        encoding: encoding.as_str(),
        separator: &(separator as char).to_string(),
        headers: &layout.headers,
    };
    state.store.import_uploaded(import.id, &file, crate::platform::clock::now()).await?;
    Ok(Configured::Back {
        problems: Vec::new(),
        notice: Some(format!(
            "The file was read again as {} with {}: {} columns. Check what each one fills.",
            encoding.label(),
            sniff::separator_label(separator),
            layout.headers.len()
        )),
        draft: None,
    })
}

/// Takes the column choices of a saved mapping (chosen by name in `save_as`).
async fn use_mapping(state: &AppState, import: &ImportRecord, choices: &ImportChoices) -> Result<Configured, AppError> {
    let name = choices.use_mapping.trim();
    let saved = state.store.import_mappings().await?.into_iter().find(|m| m.name == name);
    let Some(saved) = saved.and_then(|m| serde_json::from_str::<SavedChoices>(&m.settings).ok()) else {
        return Configured::problems(vec![format!("There is no saved mapping named “{name}”.")], choices);
    };
    if saved.headers.len() != import.headers.len() {
        let problem = format!(
            "Mapping “{name}” was saved for a file of {} columns; this one has {}.",
            saved.headers.len(),
            import.headers.len()
        );
        return Configured::problems(vec![problem], choices);
    }
    // The file's own encoding and separator and this file's consent stay.
    let draft = ImportChoices {
        encoding: choices.encoding.clone(),
        separator: choices.separator.clone(),
        newsletter: choices.newsletter.clone(),
        consent_text: choices.consent_text.clone(),
        consent_date: choices.consent_date.clone(),
        consent_place: choices.consent_place.clone(),
        save_as: String::new(),
        use_mapping: String::new(),
        ..saved.choices
    };
    Ok(Configured::Back {
        problems: Vec::new(),
        notice: Some(format!("Mapping “{name}” applied.")),
        draft: Some(Box::new(draft)),
    })
}

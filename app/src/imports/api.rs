//! What the import pages show and send, and the server functions behind them. The
//! upload itself is a plain multipart form handled by the server crate
//! (`POST /contacts/import`), streamed into the database piece by piece.

use super::rules::ImportCounts;
use crate::error::AppError;
use crate::model::contact::Newsletter;
use crate::model::{ImportId, JobId, Timestamp};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One import, as the list and the import's page show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: ImportId,
    /// `contacts` or `suppression`.
    pub kind: String,
    pub file_name: String,
    pub size_bytes: i64,
    /// uploading, uploaded, checking, checked, running, done, failed, expired.
    pub state: String,
    pub dry_run: bool,
    pub counts: ImportCounts,
    pub job_id: Option<JobId>,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl ImportSummary {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "suppression" {
            "Suppression list"
        } else {
            "Contacts"
        }
    }

    pub fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            "uploading" => "Upload interrupted",
            "uploaded" => "Waiting for its settings",
            "checking" => "Dry run under way",
            "checked" => "Dry run done: nothing written yet",
            "running" => "Importing",
            "done" => "Imported",
            "failed" => "Stopped by an error",
            "expired" => "Forgotten: never imported, the file was deleted",
            _ => "Unknown",
        }
    }

    /// A run is under way (its job is working on it).
    pub fn is_running(&self) -> bool {
        matches!(self.state.as_str(), "checking" | "running")
    }

    /// Its settings can still be changed and a run started.
    pub fn can_run(&self) -> bool {
        matches!(self.state.as_str(), "uploaded" | "checked" | "failed")
    }
}

/// "1.2 MB", "830 KB".
pub fn format_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} bytes"),
    }
}

/// What staff choose on an import's page, as the form posts it (every value a string,
/// read and checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportChoices {
    /// `utf-8` or `windows-1252`.
    pub encoding: String,
    /// `,`, `;` or `tab`.
    pub separator: String,
    /// What each column fills (`Target::as_str`: "email", "ignore", "custom:Region").
    pub columns: Vec<String>,
    pub channel: String,
    pub source_detail: String,
    pub on_existing: String,
    /// A newsletter's id to subscribe every row to, or empty.
    pub newsletter: String,
    pub consent_text: String,
    /// The consent date for every row (DD/MM/YYYY or YYYY-MM-DD), or empty: from the
    /// column mapped as the consent date.
    pub consent_date: String,
    pub consent_place: String,
    /// Save the column choices under this name (empty: do not).
    pub save_as: String,
    /// The saved mapping to apply (with the action `use_mapping`).
    pub use_mapping: String,
    /// Suppression lists: the column holding the address or hash.
    pub column: String,
    /// Suppression lists: "1" when the first line names the columns.
    pub has_header: String,
    /// Suppression lists: why these addresses are suppressed.
    pub reason: String,
}

/// One row of the preview: what the file has and what each value becomes, or why the
/// row would be refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: i64,
    /// Per column: the cell as written and what it becomes (empty when ignored).
    pub cells: Vec<(String, String)>,
    /// Why the row would be refused (`None`: it imports).
    pub refused: Option<String>,
}

/// A saved mapping offered on an import's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingChoice {
    pub name: String,
    /// It was saved from a file with exactly these headers.
    pub same_headers: bool,
}

/// An import's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportDetail {
    pub import: ImportSummary,
    pub encoding: String,
    pub separator: String,
    pub headers: Vec<String>,
    /// The choices in force: the last ones sent (previewed), the last run's, or guessed.
    pub choices: ImportChoices,
    /// The fields a column can fill: (value, label).
    pub targets: Vec<(String, String)>,
    pub newsletters: Vec<Newsletter>,
    pub mappings: Vec<MappingChoice>,
    pub preview: Vec<PreviewRow>,
    /// The first refused rows of the last run: (line, reason).
    pub refusals: Vec<(i64, String)>,
    /// What the last form sent could not do (taken once).
    pub problems: Vec<String>,
    /// What the last form sent did (taken once).
    pub notice: Option<String>,
}

/// The imports page: the most recent imports, newest first, and what the last upload
/// could not do (taken once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportsOverview {
    pub imports: Vec<ImportSummary>,
    pub problems: Vec<String>,
}

/// The imports page (marketers and admins).
#[server(endpoint = "imports/list")]
pub async fn list_imports() -> Result<ImportsOverview, AppError> {
    use crate::auth::service::{require, session, session_error};
    require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let problems = session()?.remove::<Vec<String>>(super::staff::UPLOAD_PROBLEMS_KEY).await.map_err(session_error)?;
    let imports = state.store.recent_imports(50).await?.iter().map(super::staff::summary).collect();
    Ok(ImportsOverview { imports, problems: problems.unwrap_or_default() })
}

/// An import's page: its file, the choices, a preview of the first rows and what the
/// last run found.
#[server(endpoint = "imports/detail")]
pub async fn get_import(id: ImportId) -> Result<ImportDetail, AppError> {
    use crate::auth::service::{require, session, session_error};
    require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let session = session()?;
    let draft = session.get::<(ImportId, ImportChoices)>(super::staff::DRAFT_KEY).await.map_err(session_error)?;
    let draft = draft.filter(|(of, _)| *of == id).map(|(_, choices)| choices);
    let problems = session.remove::<Vec<String>>(super::staff::PROBLEMS_KEY).await.map_err(session_error)?;
    let notice = session.remove::<String>(super::staff::NOTICE_KEY).await.map_err(session_error)?;
    let mut detail = super::staff::detail(&state, id, draft).await?;
    detail.problems = problems.unwrap_or_default();
    detail.notice = notice;
    Ok(detail)
}

/// Applies the choices of an import's page, then does `action`: `preview` (show what
/// the first rows become), `dry_run` (count everything, write nothing) or `import`.
/// Posted as a plain form (it works with JavaScript off) and answered with a redirect:
/// to the run's progress, or back to the page with what to fix; other callers get
/// where that is.
#[server(endpoint = "imports/configure")]
pub async fn configure_import(id: ImportId, choices: ImportChoices, action: String) -> Result<String, AppError> {
    use crate::auth::service::{is_plain_form_post, require, session, session_error};
    let user = require(crate::model::Permission::EditContacts).await?;
    let state = crate::state::AppState::from_context()?;
    let session = session()?;
    let outcome = super::staff::configure(&state, id, &choices, &action, &user.email).await?;
    let to = match outcome {
        super::staff::Configured::Started(job) => {
            session.insert(super::staff::DRAFT_KEY, (id, choices)).await.map_err(session_error)?;
            format!("/jobs/{job}")
        }
        super::staff::Configured::Back { problems, notice, draft } => {
            match draft {
                Some(draft) => session.insert(super::staff::DRAFT_KEY, (id, *draft)).await.map_err(session_error)?,
                None => {
                    session.remove_value(super::staff::DRAFT_KEY).await.map_err(session_error)?;
                }
            }
            if !problems.is_empty() {
                session.insert(super::staff::PROBLEMS_KEY, problems).await.map_err(session_error)?;
            }
            if let Some(notice) = notice {
                session.insert(super::staff::NOTICE_KEY, notice).await.map_err(session_error)?;
            }
            format!("/contacts/import/{id}#choices")
        }
    };
    if is_plain_form_post() {
        leptos_axum::redirect(&to);
    }
    Ok(to)
}

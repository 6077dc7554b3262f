//! Engagement's background jobs (see `platform::jobs`): bulk actions over a list (move
//! to the inactive pool, back to the main pool, suppress) and event imports.

use super::{resolve_valid, settings};
use crate::model::contact::ConsentEvidence;
use crate::model::engagement::{EngagementSettings, Pool};
use crate::model::events::{parse_event, ValidEvent};
use crate::model::ContactQuery;
use crate::platform::jobs::{self, Job, JobKind, NoParams, Registry, Start};
use crate::state::AppState;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// Contacts per chunk of a bulk action; events per chunk of an import.
pub const CHUNK: i64 = 1000;
const IMPORT_CHUNK: usize = 5000;
/// Lines of an import file, at most.
pub const MAX_IMPORT_LINES: usize = 500_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    /// Out of the main sending lists, kept and worked from a separate account.
    MoveToInactivePool,
    MoveToMainPool,
    /// Unsubscribed everywhere; the address is kept (hashed) so it is never re-bought.
    Suppress,
}

impl BulkAction {
    pub fn parse(s: &str) -> Option<BulkAction> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// What a bulk job applies to: the list as it was when staff confirmed it (statuses
/// at that instant, under those settings).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BulkParams {
    pub query: ContactQuery,
    pub action: BulkAction,
    pub at: crate::model::Timestamp,
    pub settings: EngagementSettings,
}

pub async fn start_bulk(
    state: &AppState,
    query: &ContactQuery,
    action: BulkAction,
    actor: &str,
    now: crate::model::Timestamp,
) -> Result<crate::model::JobId, StoreError> {
    let settings = settings(state).await?;
    let total = state.store.count_matching(query, &settings.bounds(now)).await?;
    let params = BulkParams { query: query.without_cursor(), action, at: now, settings };
    jobs::start::<BulkJob>(state, &params, Start { payload: String::new(), total, actor, now }).await
}

/// Engagement's job kinds.
pub fn register_jobs(jobs: Registry) -> Registry {
    jobs.register::<BulkJob>().register::<ImportJob>()
}

/// A bulk action over a list (`BulkParams`).
pub struct BulkJob;

impl JobKind for BulkJob {
    const NAME: &'static str = "bulk";
    type Params = BulkParams;

    fn title(params: &BulkParams) -> String {
        match params.action {
            BulkAction::MoveToInactivePool => "Moving contacts to the inactive pool",
            BulkAction::MoveToMainPool => "Moving contacts back to the main pool",
            BulkAction::Suppress => "Suppressing contacts",
        }
        .to_string()
    }

    fn run<'a>(
        state: &'a AppState,
        job: &'a Job,
        params: BulkParams,
        _: &'a str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send + 'a {
        moving_the_figures(state, run_bulk(state, job, params))
    }
}

/// An events import: the checked CSV file is the job's payload.
pub struct ImportJob;

impl JobKind for ImportJob {
    const NAME: &'static str = "import_events";
    type Params = NoParams;

    fn title(_: &NoParams) -> String {
        "Importing events".to_string()
    }

    fn run<'a>(
        state: &'a AppState,
        job: &'a Job,
        _: NoParams,
        csv: &'a str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send + 'a {
        moving_the_figures(state, run_import(state, job, csv))
    }
}

/// Bulk actions and imports move the figures: the dashboard follows at once, when the
/// job ends, however it ends.
async fn moving_the_figures(
    state: &AppState,
    work: impl Future<Output = Result<String, StoreError>>,
) -> Result<String, StoreError> {
    let outcome = work.await;
    if let Err(e) = super::refresh(state, crate::platform::clock::now()).await {
        tracing::warn!(error = %e, "could not refresh the dashboard after a job");
    }
    outcome
}

/// Reads an events CSV: a header naming `email` or `contact_id`, `type`,
/// `occurred_at` and optionally `campaign`, then one event per line. Returns the
/// events, or every problem found (line numbers as a spreadsheet shows them).
pub fn parse_events_csv(text: &str, now: crate::model::Timestamp) -> Result<Vec<ValidEvent>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("The first line must name the columns: {e}")]),
    };
    let known = ["email", "contact_id", "type", "occurred_at", "campaign"];
    let mut errors = Vec::new();
    for h in headers.iter() {
        if !known.contains(&h) {
            errors.push(format!("Unknown column `{h}`: the columns are {}.", known.join(", ")));
        }
    }
    if !headers.iter().any(|h| h == "type") || !headers.iter().any(|h| h == "occurred_at") {
        errors.push("The columns `type` and `occurred_at` are required.".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut events = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if line > MAX_IMPORT_LINES + 1 {
            errors.push(format!("The file has more than {MAX_IMPORT_LINES} events; split it."));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("Line {line}: {e}"));
                if errors.len() >= 50 {
                    errors.push("… and maybe more: fix these first.".into());
                    break;
                }
                continue;
            }
        };
        let mut obj = serde_json::Map::new();
        for (h, v) in headers.iter().zip(record.iter()) {
            if v.is_empty() {
                continue;
            }
            let value = match h {
                "contact_id" => match v.parse::<i64>() {
                    Ok(n) => serde_json::Value::from(n),
                    Err(_) => serde_json::Value::from(v),
                },
                _ => serde_json::Value::from(v),
            };
            obj.insert(h.to_string(), value);
        }
        match parse_event(&serde_json::Value::Object(obj), now) {
            Ok(e) => events.push(e),
            Err(e) => errors.push(format!("Line {line}: {e}")),
        }
        if errors.len() >= 50 {
            errors.push("… and maybe more: fix these first.".into());
            break;
        }
    }
    if events.is_empty() && errors.is_empty() {
        errors.push("The file has no events.".into());
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// Checks a whole import (format and contacts) before anything is recorded: a file
/// with any bad line is refused whole, with the problems listed. A good one becomes a
/// job; returns its id.
pub async fn start_import(
    state: &AppState,
    csv: String,
    actor: &str,
    now: crate::model::Timestamp,
) -> Result<Result<crate::model::JobId, Vec<String>>, StoreError> {
    let events = match parse_events_csv(&csv, now) {
        Ok(e) => e,
        Err(errors) => return Ok(Err(errors)),
    };
    let resolved = resolve_valid(state, events.into_iter().map(Ok).collect(), actor).await?;
    let errors: Vec<String> = resolved
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("Line {}: {e}", i + 2)))
        .take(50)
        .collect();
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let total = resolved.len() as i64;
    Ok(Ok(jobs::start::<ImportJob>(state, &NoParams {}, Start { payload: csv, total, actor, now }).await?))
}

async fn run_bulk(state: &AppState, job: &Job, params: BulkParams) -> Result<String, StoreError> {
    let bounds = params.settings.bounds(params.at);
    let actor = job.created_by.as_str();
    let (mut done, mut next_id, mut changed) = (job.done, job.next_id, 0u64);
    loop {
        let ids =
            state.store.contact_ids_matching(&params.query, &bounds, crate::model::ContactId(next_id), CHUNK).await?;
        let Some(last) = ids.last().copied() else { break };
        let now = crate::platform::clock::now();
        changed += match params.action {
            BulkAction::MoveToInactivePool => state.store.set_pool(&ids, Pool::Inactive, now, actor).await?,
            BulkAction::MoveToMainPool => state.store.set_pool(&ids, Pool::Main, now, actor).await?,
            BulkAction::Suppress => {
                let consent = ConsentEvidence {
                    at: now,
                    channel: "staff".into(),
                    form: format!("bulk action #{}", job.id),
                    text: format!("Suppressed by {actor} from a list-cleaning action."),
                };
                state.store.suppress_contacts(&ids, "manual", &consent, actor).await?
            }
        };
        done += ids.len() as i64;
        next_id = last.0;
        jobs::report(state, job, done, next_id).await?;
    }
    Ok(format!("{changed} of {done} contacts changed (the others already were)."))
}

async fn run_import(state: &AppState, job: &Job, csv: &str) -> Result<String, StoreError> {
    // The mark stays once the import ends (with the job's record): a run that stalled
    // past its lease and wakes after another run finished finds it moved, and its
    // chunk is refused.
    import_chunks(state, job, csv, &format!("import:{}", job.id)).await
}

async fn import_chunks(state: &AppState, job: &Job, csv: &str, mark: &str) -> Result<String, StoreError> {
    let now = crate::platform::clock::now();
    let events = parse_events_csv(csv, now).map_err(|e| StoreError::Database(e.join("; ")))?;
    // Each chunk's events and how far the import got are accepted together: an import
    // whose instance died after a chunk went in resumes after it, never applying it twice.
    let recorded = state.store.inbox_mark(mark).await?.unwrap_or(job.next_id) as usize;
    let (mut done, mut skipped) = (recorded, 0usize);
    while done < events.len() {
        let chunk: Vec<Result<ValidEvent, String>> =
            events[done..(done + IMPORT_CHUNK).min(events.len())].iter().cloned().map(Ok).collect();
        let n = chunk.len();
        let resolved = resolve_valid(state, chunk, &format!("import by {}", job.created_by)).await?;
        // A contact deleted since the file was checked: its events are skipped.
        let good: Vec<_> = resolved.into_iter().filter_map(Result::ok).collect();
        skipped += n - good.len();
        state.store.queue_events_marked(&good, mark, done as i64, (done + n) as i64).await?;
        done += n;
        jobs::report(state, job, done as i64, done as i64).await?;
    }
    // A finished import is applied: its statuses and timelines are there when it says done.
    state.event_writer.apply_pending(&state.store).await?;
    Ok(if skipped == 0 {
        format!("{done} events imported.")
    } else {
        format!("{} events imported; {skipped} skipped (their contact was deleted meanwhile).", done - skipped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: crate::model::Timestamp = crate::model::Timestamp(1_795_000_000);

    #[test]
    fn a_csv_is_read_with_quotes_and_optional_columns() {
        let csv = "email,type,occurred_at,campaign\n\
                   ann@example.com,click,2026-11-01T10:00:00Z,\"Sale, autumn\"\n\
                   bob@example.com,open,2026-11-02T10:00:00Z,\n";
        let events = parse_events_csv(csv, NOW).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].campaign, "Sale, autumn");
        assert_eq!(events[1].campaign, "");
    }

    #[test]
    fn a_csv_with_any_bad_line_is_refused_with_every_line_named() {
        let csv = "contact_id,type,occurred_at\n1,open,2026-11-01T10:00:00Z\nx,open,2026-11-01T10:00:00Z\n2,wink,2026-11-01T10:00:00Z\n";
        let errors = parse_events_csv(csv, NOW).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("Line 3:") && errors[0].contains("positive integer"));
        assert!(errors[1].starts_with("Line 4:") && errors[1].contains("unknown type"));
        assert!(parse_events_csv("email,when\n", NOW).unwrap_err()[0].contains("Unknown column `when`"));
        assert!(parse_events_csv("email,type,occurred_at\n", NOW).unwrap_err()[0].contains("no events"));
    }
}

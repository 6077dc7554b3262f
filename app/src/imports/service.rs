//! Running an import: the rows read in batches (`reading`), each decided by the rules
//! (`rules`) against what the store knows, and written with the run's progress. The
//! same run serves the background job (an upload) and the command line (a local file).

use super::reading::{self, Layout, Source, Verdict};
use super::rules::{self, ContactImportSettings, Decision, ImportCounts, Known};
use super::sniff::Encoding;
use crate::model::contact::ConsentEvidence;
use crate::model::{Email, ImportId};
use crate::platform::jobs::Job;
use crate::store::imports::*;
use crate::store::{Consented, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub use super::files::{register_local_file, RefusedCsv, Upload};

/// Who runs an import and under which job.
pub struct Runner<'a> {
    pub store: &'a Arc<dyn Store>,
    pub source: Source,
    pub import: &'a ImportRecord,
    /// The background job (its lease is checked with each batch); `None` on the command line.
    pub job: Option<&'a Job>,
    pub actor: &'a str,
    pub dry_run: bool,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("import: {e}"))
}

/// The key an address (or a suppression list's hash) is remembered by, to count the
/// file's duplicates: the first 128 bits of its SHA-256 (or of the hash; all of an
/// MD5), so that a million addresses hold 16 MB.
fn seen_key(sha256_hex: &str) -> u128 {
    u128::from_str_radix(&sha256_hex[..32], 16).unwrap_or_default()
}

impl Runner<'_> {
    async fn layout(&self, encoding: Encoding, separator: u8) -> Result<Layout, StoreError> {
        reading::layout_of(self.source.clone(), self.store.clone(), encoding, separator).await.map_err(failed)
    }

    /// Where this run goes on from: the start, or after the last batch written.
    fn from(&self, layout: &Layout) -> (u64, i64) {
        if self.import.resume_at > 0 {
            (self.import.resume_at as u64, self.import.resume_line)
        } else {
            (layout.data_at, layout.data_line)
        }
    }

    fn position(&self, batch_end: (u64, i64)) -> RunPosition<'_> {
        RunPosition {
            import_id: self.import.id,
            job: self.job,
            resume_at: batch_end.0 as i64,
            resume_line: batch_end.1,
            done: batch_end.0 as i64,
            now: crate::platform::clock::now(),
        }
    }

    /// Imports contacts; returns the counts of the whole run (resumed runs included).
    pub async fn contacts(&self, settings: &ContactImportSettings) -> Result<ImportCounts, StoreError> {
        let layout = self.layout(settings.encoding, settings.separator).await?;
        let headers = layout.headers.clone();
        let judged = settings.clone();
        let mut seen: HashSet<u128> = HashSet::new();
        let judge = move |_line: i64, cells: &[&str]| match rules::read_row(cells, &headers, &judged) {
            Err(reason) => Verdict::Refuse(reason),
            Ok(row) => {
                let sha256 = row.fields.email.sha256_hex();
                if seen.insert(seen_key(&sha256)) {
                    Verdict::Keep((row, sha256))
                } else {
                    Verdict::Duplicate
                }
            }
        };
        let from = self.from(&layout);
        let mut batches =
            reading::read_batches(self.source.clone(), self.store.clone(), layout, from, reading::BATCH_ROWS, judge);
        let detail = format!("Imported from {} (import #{})", self.import.file_name, self.import.id);
        let newsletter = settings.consent.as_ref().map(|c| c.newsletter_id);
        let mut total = self.import.counts;
        let mut first = true;
        let run = async {
            while let Some(batch) = batches.recv().await {
                let batch = batch.map_err(failed)?;
                if std::mem::take(&mut first) {
                    self.defer_indexes(&batch, from).await?;
                }
                let emails: Vec<&crate::model::Email> =
                    batch.rows.iter().map(|(_, (row, _))| &row.fields.email).collect();
                let known = self.store.known_addresses(&emails, newsletter).await?;
                let md5: Vec<String> = emails.iter().map(|e| e.md5_hex()).collect();
                let listed: HashSet<&str> = known.suppressed_hashes.iter().map(String::as_str).collect();
                let contacts: HashMap<&str, (&crate::model::Contact, bool)> =
                    known.contacts.iter().map(|(c, has)| (c.email_sha256.as_str(), (c, *has))).collect();
                let mut counts = ImportCounts {
                    duplicates: batch.duplicates,
                    refused: batch.refusals.len() as i64,
                    ..Default::default()
                };
                let (mut creates, mut changes) = (Vec::new(), Vec::new());
                for ((line, (row, sha)), md5) in batch.rows.into_iter().zip(&md5) {
                    if listed.contains(sha.as_str()) || listed.contains(md5.as_str()) {
                        counts.suppressed += 1;
                        continue;
                    }
                    let contact = contacts.get(sha.as_str());
                    let known = contact.map(|(c, has)| Known {
                        fields: c.fields.clone(),
                        suppressed: c.suppression_reason.is_some(),
                        has_subscription: *has,
                    });
                    let evidence = settings.consent.as_ref().and_then(|consent| {
                        Some(Consented {
                            newsletter_id: consent.newsletter_id,
                            consent: ConsentEvidence {
                                at: row.consent_at?,
                                channel: row.fields.channel.as_str().to_string(),
                                form: if consent.place.trim().is_empty() {
                                    detail.clone()
                                } else {
                                    consent.place.trim().to_string()
                                },
                                text: consent.text.trim().to_string(),
                            },
                        })
                    });
                    match rules::decide(&row.fields, known.as_ref(), settings) {
                        Decision::Create => {
                            counts.created += 1;
                            creates.push(ImportedContact { line, fields: row.fields, subscription: evidence });
                        }
                        Decision::Update { fields, subscribe } => {
                            counts.updated += 1;
                            let (c, _) = contact.expect("an update is of a known contact");
                            changes.push(ImportedChange {
                                id: c.id,
                                read_at: c.updated_at,
                                fields: fields.map(|f| *f),
                                subscription: evidence.filter(|_| subscribe),
                            });
                        }
                        Decision::Unchanged => counts.unchanged += 1,
                        Decision::Suppressed => counts.suppressed += 1,
                    }
                }
                let write = ContactBatch {
                    position: self.position((batch.resume_at, batch.resume_line)),
                    dry_run: self.dry_run,
                    creates,
                    changes,
                    refusals: batch.refusals,
                    counts,
                    detail: &detail,
                    actor: self.actor,
                };
                let written = self.store.write_contact_batch(&write).await?;
                total.add(&written);
            }
            Ok::<_, StoreError>(total)
        };
        let outcome = run.await;
        // Whoever ends a run builds the indexes a load (this run's, or a killed one's
        // taken over) deferred; a no-op when they are all there. A run whose job was
        // taken over leaves that to the run going on.
        if !self.dry_run && !matches!(outcome, Err(StoreError::LeaseLost)) {
            let ensured = self.store.ensure_indexes().await;
            return outcome.and_then(|total| ensured.map(|_| total));
        }
        outcome
    }

    /// A load bigger than the base it goes into (a first import, a migration) builds the
    /// contacts' secondary indexes once at its end (`ensure_indexes`) instead of
    /// maintaining them row by row, which is most of an insert's cost. Where partners
    /// exist, the address hashes' two indexes stay for their checks meanwhile (the import
    /// itself looks addresses up by the address); a first import into a base no partner
    /// checks yet drops them too: random keys, every leaf of those two indexes rewritten
    /// at each batch, were most of the cost of a large load. An interrupted load's
    /// indexes are rebuilt at start-up or by the run that takes it over. The file's rows
    /// are estimated from its first batch.
    async fn defer_indexes<T>(&self, first: &reading::Batch<T>, from: (u64, i64)) -> Result<(), StoreError> {
        let rows = (first.rows.len() + first.refusals.len()) as u64 + first.duplicates as u64;
        let read = first.resume_at.saturating_sub(from.0).max(1);
        let estimate = (self.import.size_bytes as u64).saturating_sub(from.0) as u128 * rows as u128 / read as u128;
        if self.dry_run || estimate < DEFER_INDEXES_ROWS as u128 {
            return Ok(());
        }
        if estimate >= self.store.count_contacts().await? as u128 {
            let partners_check = !self.store.partners().await?.is_empty();
            self.store.begin_bulk_load(partners_check).await?;
        }
        Ok(())
    }

    /// Imports a suppression list: each row's address or hash (the column chosen).
    pub async fn suppression(&self, settings: &SuppressionSettings) -> Result<ImportCounts, StoreError> {
        let layout = self.layout(settings.encoding, settings.separator).await?;
        // A file of bare values has no header: its first line is a value too.
        let layout = match settings.has_header {
            true => layout,
            false => Layout { data_at: 0, data_line: 1, ..layout },
        };
        let column = settings.column;
        // Every hash a line gave, so that a line is a duplicate when the file gave all
        // of its hashes before (an address's MD5 after the address), whichever batch
        // that was in: the counts do not depend on where batches end.
        let mut seen: HashSet<u128> = HashSet::new();
        let judge = move |_line: i64, cells: &[&str]| match suppression_hashes(cells.get(column).copied().unwrap_or(""))
        {
            Err(reason) => Verdict::Refuse(reason),
            Ok(hashes) => {
                let mut new = false;
                for hash in &hashes {
                    new |= seen.insert(seen_key(hash));
                }
                if new {
                    Verdict::Keep(hashes)
                } else {
                    Verdict::Duplicate
                }
            }
        };
        let from = self.from(&layout);
        let mut batches = reading::read_batches(
            self.source.clone(),
            self.store.clone(),
            layout,
            from,
            reading::SUPPRESSION_BATCH_ROWS,
            judge,
        );
        let mut total = self.import.counts;
        while let Some(batch) = batches.recv().await {
            let batch = batch.map_err(failed)?;
            let write = SuppressionBatch {
                position: self.position((batch.resume_at, batch.resume_line)),
                dry_run: self.dry_run,
                counts: ImportCounts {
                    duplicates: batch.duplicates,
                    refused: batch.refusals.len() as i64,
                    ..Default::default()
                },
                entries: batch.rows.into_iter().map(|(_, hashes)| hashes).collect(),
                reason: &settings.reason,
                refusals: batch.refusals,
            };
            total.add(&self.store.write_suppression_batch(&write).await?);
        }
        Ok(total)
    }
}

/// What an import of a suppression list is told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuppressionSettings {
    pub encoding: Encoding,
    pub separator: u8,
    /// Whether the first line names the columns.
    pub has_header: bool,
    /// The column holding the address or hash.
    pub column: usize,
    /// Why these addresses are suppressed (kept with each entry).
    pub reason: String,
}

/// The hashes a suppression list's value stands for: an address's MD5 and SHA-256
/// (the address itself is not kept), or the MD5 or SHA-256 given.
pub fn suppression_hashes(value: &str) -> Result<Vec<String>, String> {
    let value = value.trim();
    let hex = |len: usize| value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit());
    if value.contains('@') {
        let email = Email::parse(value).map_err(str::to_string)?;
        Ok(vec![email.sha256_hex(), email.md5_hex()])
    } else if hex(32) || hex(64) {
        Ok(vec![value.to_ascii_lowercase()])
    } else if value.is_empty() {
        Err("This row is empty.".into())
    } else {
        Err("Neither an email address nor an MD5 (32 hexadecimal characters) or SHA-256 (64) hash.".into())
    }
}

/// Picks the column of a suppression list: the one whose header names an email or a
/// hash, else the first; and whether the first line is a header at all (it is not when
/// it holds an address or a hash itself).
pub fn suppression_column(headers: &[String]) -> (usize, bool) {
    if headers.iter().any(|h| suppression_hashes(h).is_ok()) {
        let column = headers.iter().position(|h| suppression_hashes(h).is_ok()).unwrap_or(0);
        return (column, false);
    }
    let named = headers.iter().position(|h| {
        let h = super::values::fold(h);
        matches!(super::mapping::Target::guess(&h), super::mapping::Target::Email)
            || h.contains("md5")
            || h.contains("sha")
            || h.contains("hash")
    });
    (named.unwrap_or(0), true)
}

/// A load of at least this many rows, into a base smaller than itself, builds its
/// indexes at the end (`Runner::defer_indexes`).
pub const DEFER_INDEXES_ROWS: usize = 50_000;

/// A file with more columns than this is not a contact list.
pub const MAX_COLUMNS: usize = 500;

/// How long an uploaded file waits for its import before it is deleted (7 days).
pub const IDLE_IMPORT_SECS: i64 = 7 * 24 * 3600;

/// The job that runs an uploaded import (a dry run or the import itself), resumable.
pub struct ImportJob;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportParams {
    pub import_id: ImportId,
}

impl crate::platform::jobs::JobKind for ImportJob {
    const NAME: &'static str = "import_file";
    type Params = ImportParams;
    const NEXT: &'static [(&'static str, &'static str)] = &[("Imports", "/contacts/import"), ("Contacts", "/contacts")];

    fn title(params: &ImportParams) -> String {
        format!("Import #{}", params.import_id)
    }

    fn run<'a>(
        state: &'a crate::state::AppState,
        job: &'a Job,
        params: ImportParams,
        _: &'a str,
    ) -> impl std::future::Future<Output = Result<String, StoreError>> + Send + 'a {
        run_job(state, job, params)
    }
}

/// Runs an uploaded import's job and ends the import as the run ends.
async fn run_job(state: &crate::state::AppState, job: &Job, params: ImportParams) -> Result<String, StoreError> {
    let mut import = state.store.import(params.import_id).await?.ok_or(StoreError::NotFound)?;
    // The job is made just before the import is told its id (`start_run`): a worker
    // quick enough to start it in between waits for that, briefly.
    for _ in 0..50 {
        if import.job_id.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        import = state.store.import(params.import_id).await?.ok_or(StoreError::NotFound)?;
    }
    if import.job_id != Some(job.id) {
        return Ok("Nothing done: the import was started again by another run.".to_string());
    }
    let outcome = run_stored(&state.store, &import, job).await;
    let now = crate::platform::clock::now();
    match &outcome {
        Ok(_) => state.store.end_import_run(import.id, if import.dry_run { "checked" } else { "done" }, now).await?,
        Err(StoreError::LeaseLost) => {}
        Err(_) => state.store.end_import_run(import.id, "failed", now).await?,
    }
    outcome.map(|counts| counts.summary())
}

async fn run_stored(store: &Arc<dyn Store>, import: &ImportRecord, job: &Job) -> Result<ImportCounts, StoreError> {
    let runner = Runner {
        store,
        source: Source::Stored(import.id),
        import,
        job: Some(job),
        actor: &job.created_by,
        dry_run: import.dry_run,
    };
    if import.kind == "suppression" {
        runner.suppression(&serde_json::from_str(&import.settings).map_err(failed)?).await
    } else {
        runner.contacts(&serde_json::from_str(&import.settings).map_err(failed)?).await
    }
}

pub fn register_jobs(registry: crate::platform::jobs::Registry) -> crate::platform::jobs::Registry {
    registry.register::<ImportJob>()
}

/// Starts a run of an uploaded import in the background (a dry run, or the import);
/// `NotFound` when the file is not stored or a run is under way.
pub async fn start_run(
    state: &crate::state::AppState,
    import: &ImportRecord,
    settings: &impl Serialize,
    dry_run: bool,
    actor: &str,
) -> Result<crate::model::JobId, StoreError> {
    let settings = serde_json::to_string(settings).map_err(failed)?;
    let now = crate::platform::clock::now();
    let start = crate::platform::jobs::Start { payload: String::new(), total: import.size_bytes, actor, now };
    let job = crate::platform::jobs::start::<ImportJob>(state, &ImportParams { import_id: import.id }, start).await?;
    state.store.start_import_run(import.id, &settings, dry_run, Some(job), now).await?;
    Ok(job)
}

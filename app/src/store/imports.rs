//! Storage for imports: the uploaded file (in pieces), each run's progress written with
//! the rows it decided, the refused rows, saved mappings, and the old suppression list.

use super::StoreResult;
use crate::imports::rules::ImportCounts;
use crate::model::{Contact, ContactFields, ContactId, ImportId, NewsletterId, Timestamp};
use crate::platform::jobs::Job;
use async_trait::async_trait;

/// An import as its pages show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRecord {
    pub id: ImportId,
    /// `contacts` or `suppression`.
    pub kind: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub encoding: String,
    pub separator: String,
    pub headers: Vec<String>,
    /// The run's choices (JSON), empty until one starts.
    pub settings: String,
    /// uploading, uploaded, checking, checked, running, done, failed.
    pub state: String,
    pub job_id: Option<crate::model::JobId>,
    pub dry_run: bool,
    pub resume_at: i64,
    pub resume_line: i64,
    pub counts: ImportCounts,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A new import, before its file is stored.
#[derive(Clone, Debug)]
pub struct NewImport<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub created_by: &'a str,
    pub now: Timestamp,
}

/// What the whole upload turned out to be.
#[derive(Clone, Debug)]
pub struct UploadedFile<'a> {
    pub size_bytes: i64,
    pub encoding: &'a str,
    pub separator: &'a str,
    pub headers: &'a [String],
}

/// A refused row: its line in the file, why, and the row as it was (one CSV record).
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub line: i64,
    pub reason: String,
    pub record: String,
}

/// A contact an import creates, with the subscription its consent allows.
#[derive(Clone, Debug)]
pub struct ImportedContact {
    pub line: i64,
    pub fields: ContactFields,
    pub subscription: Option<super::Consented>,
}

/// A known contact an import changes.
#[derive(Clone, Debug)]
pub struct ImportedChange {
    pub id: ContactId,
    /// The contact's `updated_at` when it was read: a contact changed since is left
    /// alone (counted unchanged) rather than overwritten with stale values.
    pub read_at: Timestamp,
    pub fields: Option<ContactFields>,
    pub subscription: Option<super::Consented>,
}

/// Where a run is: what the next batch starts from, and who holds the run.
#[derive(Clone, Debug)]
pub struct RunPosition<'a> {
    pub import_id: ImportId,
    /// The background job running the import, whose lease the write checks (`None`
    /// for the command line, which runs it in its own process).
    pub job: Option<&'a Job>,
    /// Byte offset and line of the record after this batch.
    pub resume_at: i64,
    pub resume_line: i64,
    /// How far through the file, for the progress bar.
    pub done: i64,
    pub now: Timestamp,
}

/// One batch of an import's decisions, written with the run's progress in one
/// transaction: killed at any point, a run resumes after the last batch written.
#[derive(Clone, Debug)]
pub struct ContactBatch<'a> {
    pub position: RunPosition<'a>,
    /// Nothing but the counts, refusals and progress is written (a dry run).
    pub dry_run: bool,
    pub creates: Vec<ImportedContact>,
    pub changes: Vec<ImportedChange>,
    pub refusals: Vec<Refusal>,
    /// The counts of this batch as decided (a create or change that finds the contact
    /// changed meanwhile is moved to `unchanged` by the store).
    pub counts: ImportCounts,
    /// For the timelines, e.g. "Import #3 (clients.csv)".
    pub detail: &'a str,
    pub actor: &'a str,
}

/// One batch of a suppression list: hashes (MD5 or SHA-256, lowercase hex).
#[derive(Clone, Debug)]
pub struct SuppressionBatch<'a> {
    pub position: RunPosition<'a>,
    pub dry_run: bool,
    /// Each entry's hashes (an address gives both of its own).
    pub entries: Vec<Vec<String>>,
    pub reason: &'a str,
    pub refusals: Vec<Refusal>,
    /// Duplicates within the file and refusals so far; the store counts the rest
    /// (`created` for a new entry, `suppressed` for one already known).
    pub counts: ImportCounts,
}

/// A saved mapping, to import the next file of the same shape in one step.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedMapping {
    pub id: i64,
    pub name: String,
    /// The settings (JSON) it was saved from.
    pub settings: String,
}

/// What is known about some addresses, for an import's decisions.
#[derive(Clone, Debug, Default)]
pub struct KnownAddresses {
    /// The contacts among them, with whether each has a subscription (in any state) to
    /// the import's newsletter.
    pub contacts: Vec<(Contact, bool)>,
    /// Those of the hashes asked for that the suppression list holds.
    pub suppressed_hashes: Vec<String>,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn create_import(&self, import: &NewImport<'_>) -> StoreResult<ImportId>;
    /// Stores piece `seq` (from 0) of the uploaded file.
    async fn add_import_chunk(&self, id: ImportId, seq: i64, bytes: &[u8]) -> StoreResult<()>;
    /// The whole file is stored (or read again with another encoding or separator): what
    /// it is, and the import waits for its settings. `NotFound` once a run is under way.
    async fn import_uploaded(&self, id: ImportId, file: &UploadedFile<'_>, now: Timestamp) -> StoreResult<()>;
    /// Piece `seq` of the file, `None` past its end.
    async fn import_chunk(&self, id: ImportId, seq: i64) -> StoreResult<Option<Vec<u8>>>;
    async fn import(&self, id: ImportId) -> StoreResult<Option<ImportRecord>>;
    async fn recent_imports(&self, limit: i64) -> StoreResult<Vec<ImportRecord>>;
    /// Starts a run (a dry run or the import) with these settings: counts, position and
    /// refusals start again. `NotFound` unless the file is stored and no run is under way.
    async fn start_import_run(
        &self,
        id: ImportId,
        settings: &str,
        dry_run: bool,
        job_id: Option<crate::model::JobId>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The contacts with these addresses (found by the address itself, whose unique index
    /// is always there, even while a big load has dropped the others; the erased by its
    /// hash), and which of their hashes (SHA-256 or MD5) the suppression list holds.
    async fn known_addresses(
        &self,
        emails: &[&crate::model::Email],
        newsletter: Option<NewsletterId>,
    ) -> StoreResult<KnownAddresses>;
    /// Writes a batch and the run's progress in one transaction; `LeaseLost` (nothing
    /// written) when the run's job is held by another run. Returns the batch's counts.
    async fn write_contact_batch(&self, batch: &ContactBatch<'_>) -> StoreResult<ImportCounts>;
    async fn write_suppression_batch(&self, batch: &SuppressionBatch<'_>) -> StoreResult<ImportCounts>;
    /// Ends the run: `checked` after a dry run, `done` or `failed`; once imported, the
    /// file's pieces are deleted.
    async fn end_import_run(&self, id: ImportId, state: &str, now: Timestamp) -> StoreResult<()>;
    /// Deletes the stored files of imports idle since before `before` and never imported
    /// (interrupted uploads, files waiting for their settings, dry runs, failures), or
    /// of import `only` alone; they become `expired`. Returns how many.
    async fn expire_imports(&self, before: Timestamp, only: Option<ImportId>) -> StoreResult<u64>;
    /// Refused rows by line, after `after_line`.
    async fn import_refusals(&self, id: ImportId, after_line: i64, limit: i64) -> StoreResult<Vec<Refusal>>;
    /// Saves (or replaces) a mapping by name.
    async fn save_import_mapping(&self, name: &str, settings: &str, by: &str, now: Timestamp) -> StoreResult<i64>;
    async fn import_mappings(&self) -> StoreResult<Vec<SavedMapping>>;
}

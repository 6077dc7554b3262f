//! Imports: the stored file, each batch written with the run's progress, refusals,
//! saved mappings, and the suppression list's hashes.
//!
//! Portable SQL: this file is mounted once per backend (`sqlite/mod.rs`,
//! `postgres/mod.rs`), where `Db` and `DbStore` name that backend's database and store.

use super::*;
use crate::store::values::get;
use app::imports::rules::ImportCounts;
use app::model::{ImportId, NewsletterId, Timestamp};
use app::store::imports::*;
use app::store::{Consented, StoreResult};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

type Tx = sqlx::Transaction<'static, Db>;

const IMPORT_COLUMNS: &str = "id, kind, file_name, size_bytes, encoding, separator, headers, settings, state, job_id, \
     dry_run, resume_at, resume_line, counts, created_by, created_at, updated_at";

/// Refusals kept per run: enough to fix any real file, bounded for a hostile one (the
/// counts go on).
const MAX_REFUSALS: i64 = 100_000;

fn import_row(row: &<Db as sqlx::Database>::Row) -> StoreResult<ImportRecord> {
    let headers: String = get(row, "headers")?;
    let counts: String = get(row, "counts")?;
    Ok(ImportRecord {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        file_name: get(row, "file_name")?,
        size_bytes: get(row, "size_bytes")?,
        encoding: get(row, "encoding")?,
        separator: get(row, "separator")?,
        headers: serde_json::from_str(&headers).map_err(|_| crate::store::values::bad("imports.headers"))?,
        settings: get(row, "settings")?,
        state: get(row, "state")?,
        job_id: get(row, "job_id")?,
        dry_run: get(row, "dry_run")?,
        resume_at: get(row, "resume_at")?,
        resume_line: get(row, "resume_line")?,
        counts: serde_json::from_str(&counts).map_err(|_| crate::store::values::bad("imports.counts"))?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

impl DbStore {
    /// Advances the run by a batch, inside its transaction: the counts add up, the
    /// position moves, and the job's lease is checked (`LeaseLost` rolls it all back).
    async fn advance_run(tx: &mut Tx, position: &RunPosition<'_>, counts: &ImportCounts) -> StoreResult<()> {
        let stored: String = sqlx::query_scalar("SELECT counts FROM imports WHERE id = $1")
            .bind(position.import_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        let mut total: ImportCounts = serde_json::from_str(&stored).unwrap_or_default();
        total.add(counts);
        sqlx::query("UPDATE imports SET counts = $1, resume_at = $2, resume_line = $3, updated_at = $4 WHERE id = $5")
            .bind(serde_json::to_string(&total).unwrap_or_default())
            .bind(position.resume_at)
            .bind(position.resume_line)
            .bind(position.now)
            .bind(position.import_id)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if let Some(job) = position.job {
            let held = sqlx::query(
                "UPDATE jobs SET done = $2, updated_at = $3, lease_until = $4 \
                 WHERE id = $1 AND lease_token = $5 AND state = 'running'",
            )
            .bind(job.id)
            .bind(position.done)
            .bind(position.now)
            .bind(position.now + app::platform::jobs::LEASE_SECS)
            .bind(&job.lease)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
            if held.rows_affected() == 0 {
                return Err(StoreError::LeaseLost);
            }
        }
        Ok(())
    }

    /// A run's refused rows no longer hold (a new run, the file read another way).
    async fn forget_refusals(tx: &mut Tx, id: ImportId) -> StoreResult<()> {
        sqlx::query("DELETE FROM import_refusals WHERE import_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn add_refusals(tx: &mut Tx, import_id: ImportId, refusals: &[Refusal]) -> StoreResult<()> {
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_refusals WHERE import_id = $1")
            .bind(import_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(map_err)?;
        let room = (MAX_REFUSALS - kept).clamp(0, refusals.len() as i64) as usize;
        for chunk in refusals[..room].chunks(Self::BULK_ROWS * 4) {
            let mut b: QueryBuilder<Db> =
                QueryBuilder::new("INSERT INTO import_refusals (import_id, line, reason, record) ");
            b.push_values(chunk, |mut v, r| {
                v.push_bind(import_id).push_bind(r.line).push_bind(&r.reason).push_bind(&r.record);
            });
            // A batch written again after a crash finds its rows there.
            b.push(" ON CONFLICT (import_id, line) DO NOTHING");
            b.build().execute(&mut **tx).await.map_err(map_err)?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ImportStore for DbStore {
    async fn create_import(&self, import: &NewImport<'_>) -> StoreResult<ImportId> {
        sqlx::query_scalar(
            "INSERT INTO imports (kind, file_name, encoding, separator, state, created_by, created_at, updated_at) \
             VALUES ($1, $2, 'utf-8', ',', 'uploading', $3, $4, $4) RETURNING id",
        )
        .bind(import.kind)
        .bind(import.file_name)
        .bind(import.created_by)
        .bind(import.now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn add_import_chunk(&self, id: ImportId, seq: i64, bytes: &[u8]) -> StoreResult<()> {
        sqlx::query("INSERT INTO import_chunks (import_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(seq)
            .bind(bytes)
            .execute(self.writer())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn import_uploaded(&self, id: ImportId, file: &UploadedFile<'_>, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Read again another way, the last run's settings, counts and refused rows (of
        // other columns) no longer hold.
        let written = sqlx::query(
            "UPDATE imports SET size_bytes = $1, encoding = $2, separator = $3, headers = $4, state = 'uploaded', \
             settings = '', counts = '{}', dry_run = FALSE, resume_at = 0, resume_line = 0, updated_at = $5 \
             WHERE id = $6 AND state IN ('uploading', 'uploaded', 'checked', 'failed')",
        )
        .bind(file.size_bytes)
        .bind(file.encoding)
        .bind(file.separator)
        .bind(serde_json::to_string(file.headers).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        found(written.rows_affected())?;
        Self::forget_refusals(&mut tx, id).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn import_chunk(&self, id: ImportId, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT bytes FROM import_chunks WHERE import_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn import(&self, id: ImportId) -> StoreResult<Option<ImportRecord>> {
        let row = sqlx::query(&format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(import_row).transpose()
    }

    async fn recent_imports(&self, limit: i64) -> StoreResult<Vec<ImportRecord>> {
        let rows = sqlx::query(&format!("SELECT {IMPORT_COLUMNS} FROM imports ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(import_row).collect()
    }

    async fn start_import_run(
        &self,
        id: ImportId,
        settings: &str,
        dry_run: bool,
        job_id: Option<app::model::JobId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let started = sqlx::query(
            "UPDATE imports SET settings = $1, dry_run = $2, job_id = $3, state = $4, resume_at = 0, resume_line = 0, \
             counts = '{}', updated_at = $5 WHERE id = $6 AND state IN ('uploaded', 'checked', 'failed')",
        )
        .bind(settings)
        .bind(dry_run)
        .bind(job_id)
        .bind(if dry_run { "checking" } else { "running" })
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        found(started.rows_affected())?;
        Self::forget_refusals(&mut tx, id).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn known_addresses(
        &self,
        emails: &[&app::model::Email],
        newsletter: Option<NewsletterId>,
    ) -> StoreResult<KnownAddresses> {
        let mut known = KnownAddresses::default();
        for chunk in emails.chunks(Self::TEXTS_IN / 2) {
            // By the address, or, for the erased (whose address is gone), by its hash.
            let addresses: Vec<&str> = chunk.iter().map(|e| e.as_str()).collect();
            let hashes: Vec<String> = chunk.iter().map(|e| e.sha256_hex()).collect();
            let mut b: QueryBuilder<Db> = QueryBuilder::new(format!("{SELECT_CONTACT} WHERE "));
            texts_in(&mut b, "c.email", &addresses);
            b.push(format!(" UNION ALL {SELECT_CONTACT} WHERE c.erased_at IS NOT NULL AND "));
            texts_in(&mut b, "c.email_sha256", &hashes);
            let contacts: Vec<app::model::Contact> = b
                .build()
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?
                .iter()
                .map(rows::contact)
                .collect::<Result<_, _>>()?;
            let subscribed: Vec<app::model::ContactId> = match newsletter {
                Some(newsletter) if !contacts.is_empty() => {
                    let mut b: QueryBuilder<Db> =
                        QueryBuilder::new("SELECT contact_id FROM subscriptions WHERE newsletter_id = ");
                    b.push_bind(newsletter).push(" AND contact_id IN (");
                    let mut list = b.separated(", ");
                    for c in &contacts {
                        list.push_bind(c.id);
                    }
                    list.push_unseparated(")");
                    b.build().fetch_all(&self.pool).await.map_err(map_err)?.iter().map(|r| r.get(0)).collect()
                }
                _ => Vec::new(),
            };
            known.contacts.extend(contacts.into_iter().map(|c| {
                let has = subscribed.contains(&c.id);
                (c, has)
            }));
        }
        let hashes: Vec<String> = emails.iter().flat_map(|e| [e.sha256_hex(), e.md5_hex()]).collect();
        for chunk in hashes.chunks(Self::TEXTS_IN) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new("SELECT hash FROM suppression_hashes WHERE ");
            texts_in(&mut b, "hash", chunk);
            let hits = b.build().fetch_all(&self.pool).await.map_err(map_err)?;
            known.suppressed_hashes.extend(hits.iter().map(|r| r.get::<String, _>(0)));
        }
        Ok(known)
    }

    #[tracing::instrument(skip_all, fields(import = %batch.position.import_id, creates = batch.creates.len()))]
    async fn write_contact_batch(&self, batch: &ContactBatch<'_>) -> StoreResult<ImportCounts> {
        let mut tx = self.begin_write().await?;
        let mut counts = batch.counts;
        if !batch.dry_run {
            let rows: Vec<(&app::model::ContactFields, Timestamp, i64)> =
                batch.creates.iter().map(|c| (&c.fields, batch.position.now, 0)).collect();
            let ids: HashMap<String, app::model::ContactId> = Self::insert_contacts(&mut tx, &rows).await?;
            // Created meanwhile by someone else (a sign-up): left as it is.
            let lost = (batch.creates.len() - ids.len()) as i64;
            counts.created -= lost;
            counts.unchanged += lost;
            let created: Vec<app::model::ContactId> = ids.values().copied().collect();
            timeline_rows(&mut tx, &created, "created", batch.position.now, batch.detail, batch.actor).await?;
            let mut subs: Vec<(app::model::ContactId, &Consented)> = batch
                .creates
                .iter()
                .filter_map(|c| Some((*ids.get(c.fields.email.as_str())?, c.subscription.as_ref()?)))
                .collect();
            let mut changed = Vec::with_capacity(batch.changes.len());
            for change in &batch.changes {
                let written = match &change.fields {
                    Some(fields) => {
                        let query = sqlx::query(
                            "UPDATE contacts SET email = $1, email_md5 = $2, email_sha256 = $3, first_name = $4, \
                               last_name = $5, phone = $6, birth_date = $7, job_title = $8, company = $9, \
                               address_line1 = $10, address_line2 = $11, postal_code = $12, city = $13, country = $14, \
                               interests = $15, last_purchase_on = $16, total_spent_cents = $17, custom = $18, \
                               channel = $19, source_detail = $20, sort_name = $21, search = $22, updated_at = $23 \
                             WHERE id = $24 AND updated_at = $25 AND erased_at IS NULL",
                        );
                        bind_contact(query, fields)
                            .bind(batch.position.now)
                            .bind(change.id)
                            .bind(change.read_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?
                            .rows_affected()
                    }
                    None => sqlx::query(
                        "UPDATE contacts SET updated_at = $1 WHERE id = $2 AND updated_at = $3 AND erased_at IS NULL",
                    )
                    .bind(batch.position.now)
                    .bind(change.id)
                    .bind(change.read_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .rows_affected(),
                };
                if written == 0 {
                    // Changed since it was read (or erased): left alone.
                    counts.updated -= 1;
                    counts.unchanged += 1;
                    continue;
                }
                changed.push(change.id);
                if let Some(s) = &change.subscription {
                    subs.push((change.id, s));
                }
            }
            timeline_rows(&mut tx, &changed, "edited", batch.position.now, batch.detail, batch.actor).await?;
            Self::add_subscriptions(&mut tx, &subs).await?;
        }
        Self::add_refusals(&mut tx, batch.position.import_id, &batch.refusals).await?;
        Self::advance_run(&mut tx, &batch.position, &counts).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(counts)
    }

    #[tracing::instrument(skip_all, fields(import = %batch.position.import_id, entries = batch.entries.len()))]
    async fn write_suppression_batch(&self, batch: &SuppressionBatch<'_>) -> StoreResult<ImportCounts> {
        let mut tx = self.begin_write().await?;
        let counts = Self::suppress_batch(&mut tx, batch).await?;
        Self::add_refusals(&mut tx, batch.position.import_id, &batch.refusals).await?;
        Self::advance_run(&mut tx, &batch.position, &counts).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(counts)
    }

    async fn end_import_run(&self, id: ImportId, state: &str, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // The run's job is done with it: a later run waits for its own (`run_job`).
        let written = sqlx::query("UPDATE imports SET state = $1, job_id = NULL, updated_at = $2 WHERE id = $3")
            .bind(state)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        found(written.rows_affected())?;
        if state == "done" {
            sqlx::query("DELETE FROM import_chunks WHERE import_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn expire_imports(&self, before: Timestamp, only: Option<ImportId>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<ImportId> = sqlx::query_scalar(
            "SELECT id FROM imports WHERE state IN ('uploading', 'uploaded', 'checked', 'failed') \
             AND updated_at < $1 AND ($2 IS NULL OR id = $2)",
        )
        .bind(before)
        .bind(only)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let mut expired = 0;
        for id in &ids {
            // Only if it is still idle: a run starting meanwhile keeps its file.
            let written = sqlx::query(
                "UPDATE imports SET state = 'expired', job_id = NULL \
                 WHERE id = $1 AND state IN ('uploading', 'uploaded', 'checked', 'failed')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if written.rows_affected() == 0 {
                continue;
            }
            expired += 1;
            // The file and its refused rows (personal data in clear) go with it.
            for table in ["import_chunks", "import_refusals"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE import_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(expired)
    }

    async fn import_refusals(&self, id: ImportId, after_line: i64, limit: i64) -> StoreResult<Vec<Refusal>> {
        let rows = sqlx::query(
            "SELECT line, reason, record FROM import_refusals WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3",
        )
        .bind(id)
        .bind(after_line)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(|r| Refusal { line: r.get(0), reason: r.get(1), record: r.get(2) }).collect())
    }

    async fn save_import_mapping(&self, name: &str, settings: &str, by: &str, now: Timestamp) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO import_mappings (name, settings, created_by, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, created_by = excluded.created_by, \
               created_at = excluded.created_at RETURNING id",
        )
        .bind(name)
        .bind(settings)
        .bind(by)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn import_mappings(&self) -> StoreResult<Vec<SavedMapping>> {
        let rows = sqlx::query("SELECT id, name, settings FROM import_mappings ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(|r| SavedMapping { id: r.get(0), name: r.get(1), settings: r.get(2) }).collect())
    }
}

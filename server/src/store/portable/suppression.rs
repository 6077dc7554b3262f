//! A batch of an imported suppression list: the hashes not yet listed are added, and
//! the contacts they name are suppressed (their subscriptions ended, their timelines
//! told), all inside the batch's transaction.
//!
//! Set-wise: one lookup per kind of hash and chunk, the new hashes written in sorted
//! order (a B-tree takes sorted keys page by page instead of jumping across the index
//! for each), and the matching contacts suppressed in a few statements, not one each.

use super::*;
use app::imports::rules::ImportCounts;
use app::model::ContactId;
use app::store::imports::SuppressionBatch;
use app::store::StoreResult;
use sqlx::{QueryBuilder, Row};
use std::collections::{HashMap, HashSet};

type Tx = sqlx::Transaction<'static, Db>;

/// The contacts these hashes name (MD5 of 32 characters, SHA-256 of 64), by hash, with
/// whether each is already suppressed.
async fn contacts_of(tx: &mut Tx, hashes: &[&str]) -> StoreResult<HashMap<String, (ContactId, bool)>> {
    let mut found = HashMap::new();
    for (column, len) in [("email_md5", 32), ("email_sha256", 64)] {
        let of_kind: Vec<String> = hashes.iter().filter(|h| h.len() == len).map(|h| h.to_string()).collect();
        for chunk in of_kind.chunks(DbStore::TEXTS_IN) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new(format!(
                "SELECT c.{column}, c.id, e.suppression_reason IS NOT NULL AS suppressed \
                 FROM contacts c JOIN engagement e ON e.contact_id = c.id WHERE "
            ));
            texts_in(&mut b, &format!("c.{column}"), chunk);
            for r in b.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                found.insert(r.get::<String, _>(0), (r.get(1), r.get(2)));
            }
        }
    }
    Ok(found)
}

/// Which of these hashes the list already holds.
async fn listed_of(tx: &mut Tx, hashes: &[String]) -> StoreResult<HashSet<String>> {
    let mut listed = HashSet::new();
    for chunk in hashes.chunks(DbStore::TEXTS_IN) {
        let mut b: QueryBuilder<Db> = QueryBuilder::new("SELECT hash FROM suppression_hashes WHERE ");
        texts_in(&mut b, "hash", chunk);
        listed.extend(b.build().fetch_all(&mut **tx).await.map_err(map_err)?.iter().map(|r| r.get::<String, _>(0)));
    }
    Ok(listed)
}

impl DbStore {
    /// Decides and writes one batch; returns its counts (the run's position is the
    /// caller's to advance, in the same transaction).
    pub(super) async fn suppress_batch(tx: &mut Tx, batch: &SuppressionBatch<'_>) -> StoreResult<ImportCounts> {
        let mut counts = batch.counts;
        let mut hashes: Vec<String> = batch.entries.iter().flatten().cloned().collect();
        hashes.sort_unstable();
        hashes.dedup();
        let all: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let import_id = batch.position.import_id;
        let now = batch.position.now;
        // A dry run asks which are listed; a run adds them all at once, those already
        // there being the ones it did not add (one pass over the list's index, not two).
        let listed: HashSet<&str> = if batch.dry_run {
            let listed = listed_of(tx, &hashes).await?;
            all.iter().copied().filter(|h| listed.contains(*h)).collect()
        } else {
            let added = Self::add_suppression_hashes(tx, &all, batch.reason, import_id, now).await?;
            all.iter().zip(added).filter(|(_, added)| !added).map(|(h, _)| *h).collect()
        };
        let contacts = contacts_of(tx, &all).await?;
        let mut to_suppress: Vec<ContactId> = Vec::new();
        let mut suppressing: HashSet<ContactId> = HashSet::new();
        for entry in &batch.entries {
            let contact = entry.iter().find_map(|h| contacts.get(h.as_str()));
            match contact {
                // The first line naming the contact suppresses it; another (its address's
                // other hash, on a line of its own) finds it done, as it would in a
                // later batch.
                Some((id, false)) if suppressing.insert(*id) => {
                    counts.suppressed += 1;
                    to_suppress.push(*id);
                }
                _ if contact.is_some() || entry.iter().all(|h| listed.contains(h.as_str())) => counts.unchanged += 1,
                _ => counts.created += 1,
            }
        }
        if batch.dry_run {
            return Ok(counts);
        }
        for chunk in to_suppress.chunks(Self::BULK_ROWS * 3) {
            let mut b: QueryBuilder<Db> = QueryBuilder::new("UPDATE engagement SET suppressed_at = ");
            b.push_bind(now)
                .push(", suppression_reason = 'suppression_list' WHERE suppression_reason IS NULL AND contact_id IN ");
            id_list(&mut b, chunk);
            b.build().execute(&mut **tx).await.map_err(map_err)?;
        }
        let detail = format!("Suppressed: on the suppression list imported (#{import_id})");
        timeline_rows(tx, &to_suppress, "suppressed", now, &detail, "import").await?;
        let evidence = app::model::contact::ConsentEvidence {
            at: now,
            channel: "import".into(),
            form: "suppression list".into(),
            text: format!("On the suppression list imported (#{import_id})"),
        };
        end_subscriptions(tx, &to_suppress, &evidence).await?;
        Ok(counts)
    }
}
